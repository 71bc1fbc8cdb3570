"""Checks on the product descriptor: owner and support, lineage, licence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.certification.evidence import Documents, Outcome, few


def _no_descriptor(docs: Documents) -> Outcome:
    return Outcome(False, f"no valid descriptor: {docs.descriptor_problem or 'unreadable'}")


def owner_and_support(docs: Documents, params: Mapping[str, Any]) -> Outcome:
    """A team with a member (ODPS ``team``) or an owner, and at least one ``support``
    channel: whom to ask, and where."""
    d = docs.descriptor
    if d is None:
        return _no_descriptor(docs)
    members = [m.name or m.username for m in d.team.members] if d.team else []
    owner = (d.owner or {}).get("name") if isinstance(d.owner, dict) else None
    missing = []
    if not members and not owner:
        missing.append("no owner (no team member and no owner)")
    if not d.support:
        missing.append("no support channel")
    if missing:
        return Outcome(False, "; ".join(missing))
    who = few(members) if members else str(owner)
    return Outcome(True, f"owned by {who}; support: {few(s.channel for s in d.support)}")


def lineage_declared(docs: Documents, params: Mapping[str, Any]) -> Outcome:
    """Input ports, or columns with ODCS transform fields, say where the data comes from."""
    d = docs.descriptor
    if d is None:
        return _no_descriptor(docs)
    if d.input_ports:
        return Outcome(True, f"input ports: {few(p.contract_id for p in d.input_ports)}")
    derived = [
        c.label
        for c in docs.columns()
        if c.raw.get("transformSourceObjects") or c.raw.get("transformLogic")
    ]
    if derived:
        return Outcome(True, f"transform fields on {few(derived)}")
    return Outcome(False, "no input port and no column with transformSourceObjects/transformLogic")


def licence_stated(docs: Documents, params: Mapping[str, Any]) -> Outcome:
    """A licence in the descriptor (``license``, or the ``license`` custom property)."""
    d = docs.descriptor
    if d is None:
        return _no_descriptor(docs)
    licence = d.license or d.custom("license")
    if licence:
        return Outcome(True, f"licence {licence}")
    return Outcome(False, "the descriptor states no licence")
