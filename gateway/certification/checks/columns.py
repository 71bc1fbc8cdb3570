"""Checks on every column of the output contracts: described, key definitions, sensitive
columns classified. Evidence names at most a few columns, however many there are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.sensitivity import looks_sensitive
from gateway.certification.evidence import Column, Documents, Outcome, few, no_contract


def described(docs: Documents, params: Mapping[str, Any]) -> Outcome:
    """Every column has a non-empty ``description``."""
    failed = no_contract(docs)
    if failed is not None:
        return failed
    total = 0
    missing: list[str] = []
    for c in docs.columns():
        total += 1
        if not str(c.raw.get("description") or "").strip():
            missing.append(c.label)
    if missing:
        return Outcome(
            False, f"{len(missing)} of {total} columns have no description: {few(missing)}"
        )
    return Outcome(True, f"all {total} columns are described")


def _is_key(c: Column) -> bool:
    return c.raw.get("primaryKey") is True or c.raw.get("criticalDataElement") is True


def key_definitions(docs: Documents, params: Mapping[str, Any]) -> Outcome:
    """Key columns (primary keys, critical data elements) carry an ``authoritativeDefinitions``
    entry; a contract without key columns fails (nothing says what identifies a row)."""
    failed = no_contract(docs)
    if failed is not None:
        return failed
    keys = [c for c in docs.columns() if _is_key(c)]
    if not keys:
        return Outcome(False, "no key column (primaryKey or criticalDataElement) declared")
    missing = [c.label for c in keys if not c.raw.get("authoritativeDefinitions")]
    if missing:
        return Outcome(False, f"key columns without authoritative definition: {few(missing)}")
    return Outcome(True, f"{len(keys)} key columns have authoritative definitions")


def sensitive_classified(docs: Documents, params: Mapping[str, Any]) -> Outcome:
    """Columns that look personal or proprietary (:mod:`contracts.sensitivity`, the same
    test the gateway masks by) carry a ``classification``."""
    failed = no_contract(docs)
    if failed is not None:
        return failed
    sensitive = [c for c in docs.columns() if looks_sensitive(c.name, c.raw)]
    missing = [c.label for c in sensitive if not c.raw.get("classification")]
    if missing:
        return Outcome(False, f"sensitive columns without classification: {few(missing)}")
    if not sensitive:
        return Outcome(True, "no sensitive-looking column")
    return Outcome(True, f"all {len(sensitive)} sensitive columns are classified")
