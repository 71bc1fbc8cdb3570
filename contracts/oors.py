"""Observability results (Bitol's OORS draft): one measurement a product's probe emitted.

Unlike contracts and descriptors, results may carry extra keys: the OORS format is still
a draft and emitters add their own context (which contract, which run ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts._issues import DocumentInvalid, DocumentIssue, finalize
from contracts._reader import read_document
from contracts._schemas import RESULT_SCHEMA, validator_for
from contracts._validator import schema_issues


@dataclass(frozen=True)
class ObservabilityResult:
    """A valid observability result; ``raw`` is the document as JSON-ready data."""

    raw: dict[str, Any]
    id: str
    api_version: str
    timestamp: str
    emitter: str
    criteria: str  # "dq" (data quality) or "sla" (service level)
    property: str
    value: float | int | str | bool | None
    unit: str | None
    element: str | None
    passed: bool | None = None


def parse_result(
    data: str | bytes | Mapping[str, Any], source: str = "<string>"
) -> ObservabilityResult:
    """Validate one observability result given as YAML/JSON text or a parsed mapping.

    >>> r = parse_result({"id": "r1", "kind": "ObservabilityResult", "apiVersion": "1.0.0",
    ...     "timestamp": "2024-10-09T20:24:21Z", "emitter": "probe", "criteria": "dq",
    ...     "property": "nullCheck", "value": 0.5, "unit": "percent", "element": "t.c"})
    >>> r.value, r.passed
    (0.5, None)
    """
    raw = read_document(data, source)
    issues = result_issues(raw, source)
    if issues:
        raise DocumentInvalid(issues)
    return ObservabilityResult(
        raw=raw,
        id=raw["id"],
        api_version=raw["apiVersion"],
        timestamp=raw["timestamp"],
        emitter=raw["emitter"],
        criteria=raw["criteria"],
        property=raw["property"],
        value=raw["value"],
        unit=raw["unit"],
        element=raw["element"],
        passed=raw.get("passed"),
    )


def result_issues(raw: dict[str, Any], source: str) -> list[DocumentIssue]:
    """All issues of the observability result ``raw``."""
    return finalize(schema_issues(validator_for(RESULT_SCHEMA), raw, source))
