"""A bound on the size of a product document's lists, checked before its schema.

A product's descriptor reaches the registry from any product gateway that registers
(within ``upstream_max_document_bytes``, 8 MiB by default, and 128 levels deep). Eight
mebibytes of ports or custom properties is some sixty thousand items, which the Python
schema validator and the model would take seconds to walk inside the gateway's event
loop. No real product lists that many of anything, so a list longer than
:data:`MAX_ITEMS` anywhere in the document refuses it at once, with code
:data:`ITEMS_CODE`, before any schema work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts._issues import DocumentIssue, format_path

#: Most items any one list of a product document may hold (ports, members, properties...).
MAX_ITEMS = 1000
#: The ``code`` of the issue of a list longer than :data:`MAX_ITEMS`.
ITEMS_CODE = "too_many_items"


def list_limit_issues(raw: Mapping[str, Any], source: str) -> list[DocumentIssue]:
    """One issue per list longer than :data:`MAX_ITEMS` (the first few), walked without
    recursion (the reader already bounds the depth)."""
    found: list[DocumentIssue] = []
    stack: list[tuple[Any, list[str | int]]] = [(raw, [])]
    while stack and len(found) < 5:
        item, path = stack.pop()
        if isinstance(item, Mapping):
            stack.extend((v, [*path, str(k)]) for k, v in item.items())
        elif isinstance(item, list):
            if len(item) > MAX_ITEMS:
                found.append(
                    DocumentIssue(
                        source,
                        format_path(path),
                        f"lists {len(item)} items",
                        f"at most {MAX_ITEMS}",
                        code=ITEMS_CODE,
                    )
                )
                continue
            stack.extend((v, [*path, i]) for i, v in enumerate(item))
    return found
