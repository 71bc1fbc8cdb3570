"""Validate any document of the mesh, telling contracts, descriptors and results apart."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from contracts._issues import DocumentInvalid, DocumentIssue
from contracts._reader import read_document
from contracts.odcs import parse_contract
from contracts.odps import parse_descriptor
from contracts.oors import parse_result

#: What each ``kind`` is checked with: the same parsers that load documents, so
#: ``validate_file`` accepts exactly what the loaders accept.
#: Each returns the warnings of a valid document (findings the standard does not forbid).


def _contract(doc: dict[str, Any], source: str, env: Mapping[str, str]) -> list[DocumentIssue]:
    return list(parse_contract(doc, source, env).warnings)


def _descriptor(doc: dict[str, Any], source: str, env: Mapping[str, str]) -> list[DocumentIssue]:
    parse_descriptor(doc, source)
    return []


def _result(doc: dict[str, Any], source: str, env: Mapping[str, str]) -> list[DocumentIssue]:
    parse_result(doc, source)
    return []


_CHECKS: dict[str, Callable[[dict[str, Any], str, Mapping[str, str]], list[DocumentIssue]]] = {
    "DataContract": _contract,
    "DataProduct": _descriptor,
    "ObservabilityResult": _result,
}

KINDS: tuple[str, ...] = tuple(_CHECKS)


def validate_file(path: str | Path, env: Mapping[str, str] | None = None) -> list[DocumentIssue]:
    """Every issue of the document at ``path`` (empty if clean), whatever its ``kind``.

    Warnings (``issue.is_error`` false) do not make the document invalid: a valid
    document may still return its warnings.

    The document's ``kind`` picks the check: ``DataContract`` (ODCS, against its own
    apiVersion's schema), ``DataProduct`` (product descriptor) or ``ObservabilityResult``.
    An unreadable file is reported as an issue too, not raised.
    """
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return [DocumentIssue(source, "$", f"cannot read the file: {exc.strerror or exc}")]
    try:
        doc = read_document(data, source)
    except DocumentInvalid as exc:
        return exc.issues
    kind = doc.get("kind")
    check = _CHECKS.get(kind) if isinstance(kind, str) else None
    if check is None:
        message = "kind is missing" if kind is None else f"unknown document kind {kind!r}"
        return [DocumentIssue(source, "kind", message, "one of " + ", ".join(KINDS))]
    try:
        return check(doc, source, os.environ if env is None else env)
    except DocumentInvalid as exc:
        return exc.issues
