"""Checks on the output contracts as documents: served and valid, service levels declared."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.certification.evidence import Documents, Outcome, few, no_contract


def valid(docs: Documents, params: Mapping[str, Any]) -> Outcome:
    """Every output port's contract was served and is valid ODCS (the gateway validated
    it; a product saying so proves nothing)."""
    if docs.descriptor is None:
        return Outcome(False, f"no valid descriptor: {docs.descriptor_problem or 'unreadable'}")
    if not docs.contracts:
        return Outcome(False, "the product publishes no output contract")
    bad = [f"{c.label} ({c.problem})" for c in docs.contracts if c.raw is None]
    if bad:
        return Outcome(False, f"{len(bad)} of {len(docs.contracts)} contracts invalid: {few(bad)}")
    return Outcome(
        True, f"{len(docs.contracts)} valid contracts: {few(c.label for c in docs.contracts)}"
    )


def sla_declared(docs: Documents, params: Mapping[str, Any]) -> Outcome:
    """Each readable contract declares every SLA property the policy names."""
    wanted = [str(p) for p in params["properties"]]
    failed = no_contract(docs)
    if failed is not None:
        return failed
    missing: list[str] = []
    for c in docs.readable_contracts():
        assert c.raw is not None
        declared = {
            str(p.get("property", "")).lower()
            for p in c.raw.get("slaProperties") or []
            if isinstance(p, Mapping)
        }
        missing.extend(f"{name} in {c.label}" for name in wanted if name.lower() not in declared)
    if missing:
        return Outcome(False, f"SLA not declared: {few(missing)}")
    return Outcome(True, f"{', '.join(wanted)} declared in every contract")
