"""Schema validation within a time budget: a fast verdict first, detailed messages after.

jsonschema (pure Python) evaluates ``unevaluatedProperties`` by re-running the subschemas
of every nested level, so its cost grows exponentially with the depth of nested object
properties: a 90 KB ODCS contract six levels deep took 93 s (bench/validate_contracts.py).
``jsonschema-rs`` gives the same verdicts on the whole corpus (tests/contracts/
test_fast_validator.py) in milliseconds on that document, so:

1. A document without unresolved ``${VAR}`` placeholders is first judged by the compiled
   Rust validator (cached per schema). Valid: done, the common case costs milliseconds.
2. Otherwise (invalid, or placeholders the Rust validator cannot defer) the Python
   validator runs to write the issues a person can act on, under a deadline checked
   before every keyword it evaluates. It is in-process and cannot hang: past the budget
   it stops and the document gets one issue coded :data:`BUDGET_CODE`, plus the Rust
   validator's own errors when it could judge the document.

Why a deadline check rather than a worker process: the Python validator spends its time in
keyword functions, which we already wrap (placeholders), so a check there bounds it to the
budget plus one keyword, without forking a process inside the gateway's event loop.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import cache
from typing import Any

import jsonschema_rs

from contracts._issues import DocumentIssue, format_path
from contracts._placeholders import Unresolved
from contracts._schemas import load_schema, validator_for
from contracts._validator import FORMATS, BudgetExceeded, deadline, schema_issues

#: Seconds a document's schema validation may take before it is refused with
#: :data:`BUDGET_CODE` (the Rust verdict takes milliseconds; this bounds the detail pass).
VALIDATION_BUDGET_SECONDS = 3.0

#: The ``code`` of the issue given to a document whose validation ran out of time.
BUDGET_CODE = "validation_budget_exceeded"


@cache
def fast_validator_for(name: str) -> jsonschema_rs.Validator:
    """The compiled (cached) Rust validator of schema file ``name``, same formats as ours."""
    return jsonschema_rs.Draft201909Validator(
        load_schema(name), formats=dict(FORMATS), validate_formats=True
    )


def has_unresolved(value: Any) -> bool:
    """True if ``value`` holds an :class:`Unresolved` placeholder anywhere."""
    if isinstance(value, Unresolved):
        return True
    if isinstance(value, Mapping):
        return any(has_unresolved(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unresolved(v) for v in value)
    return False


def fast_verdict(name: str, instance: Any) -> bool | None:
    """The Rust validator's verdict, or None when it cannot judge ``instance``."""
    if has_unresolved(instance):
        return None
    try:
        return bool(fast_validator_for(name).is_valid(instance))
    except (ValueError, TypeError):  # a value that is not JSON (cannot happen after YAML)
        return None


def bounded_schema_issues(
    name: str, instance: Any, source: str, budget: float | None = None
) -> list[DocumentIssue]:
    """Every issue schema ``name`` finds in ``instance``, within ``budget`` seconds."""
    verdict = fast_verdict(name, instance)
    if verdict:
        return []
    seconds = VALIDATION_BUDGET_SECONDS if budget is None else budget
    try:
        with deadline(time.monotonic() + seconds):
            return schema_issues(validator_for(name), instance, source)
    except BudgetExceeded:
        found = [
            DocumentIssue(
                source,
                "$",
                f"validation stopped after the {seconds:g} s budget: the document is too "
                "complex to check (deeply nested properties?)",
                f"validation within {seconds:g} s",
                code=BUDGET_CODE,
            )
        ]
        if verdict is False:
            found.extend(_fast_issues(name, instance, source))
        return found


def _fast_issues(name: str, instance: Any, source: str) -> list[DocumentIssue]:
    return [
        DocumentIssue(source, format_path(error.instance_path), error.message)
        for error in fast_validator_for(name).iter_errors(instance)
    ]
