"""Certification: the governance policies a product checks about itself.

Each policy looks at the descriptor, the output contracts' tables and the latest
observability results, and says whether the product meets it, with the evidence. The
product is ``OK`` only when every policy is met, else ``NOT COMPLIANT``. Areas are those
of federated governance: privacy and security, provenance and lineage, service levels
and quality, pricing and licensing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from contracts import ContractDocument, ProductDescriptor
from contracts.sensitivity import looks_sensitive
from productkit.answers import (
    CertificationReport,
    CertificationStatus,
    ObservabilityResult,
    PolicyVerdict,
)
from productkit.tables import Column, Table, sla_property
from productkit.timefmt import iso

OK: Final = "OK"
NOT_COMPLIANT: Final = "NOT COMPLIANT"


@dataclass(frozen=True)
class Evidence:
    """The inputs every policy may look at."""

    descriptor: ProductDescriptor
    contracts: Sequence[ContractDocument]
    tables: Sequence[Table]
    results: Sequence[ObservabilityResult]


@dataclass(frozen=True)
class Policy:
    """One policy: a stable id, a name, its governance area and its check."""

    id: str
    name: str
    area: str
    check: Callable[[Evidence], tuple[bool, str]]


def _columns_described(ev: Evidence) -> tuple[bool, str]:
    missing = [f"{t.name}.{c.name}" for t in ev.tables for c in t.columns if not c.description]
    total = sum(len(t.columns) for t in ev.tables)
    if missing:
        return False, f"{len(missing)} of {total} columns have no description: {_few(missing)}"
    return True, f"all {total} columns have a description"


def _owner_and_team(ev: Evidence) -> tuple[bool, str]:
    owner = (ev.descriptor.owner or {}).get("name")
    teamless = [f"{c.id} {c.version}" for c in ev.contracts if not _team_members(c)]
    problems = []
    if not owner:
        problems.append("the descriptor names no owner")
    if teamless:
        problems.append(f"no team in contract {_few(teamless)}")
    if problems:
        return False, "; ".join(problems)
    teams = sum(len(_team_members(c)) for c in ev.contracts)
    return True, f"owner {owner}; {teams} team members over {len(ev.contracts)} contracts"


def _team_members(contract: ContractDocument) -> list[Any]:
    team = contract.raw.get("team")
    if isinstance(team, dict):  # ODCS v3.1+: {name, members: [...]}
        members = team.get("members")
        return list(members) if isinstance(members, list) else []
    return list(team) if isinstance(team, list) else []


def _sla_declared(ev: Evidence) -> tuple[bool, str]:
    missing = [
        f"{name} in {c.id} {c.version}"
        for c in ev.contracts
        for name in ("latency", "retention")
        if sla_property(c, name) is None
    ]
    if missing:
        return False, f"SLA not declared: {_few(missing)}"
    return True, f"latency and retention declared in {len(ev.contracts)} contracts"


def _quality_passes(ev: Evidence) -> tuple[bool, str]:
    failed = [r for r in ev.results if r.get("passed") is False or r.get("error")]
    judged = [r for r in ev.results if r.get("passed") is not None]
    if failed:
        described = [_describe(r) for r in failed]
        return False, f"{len(failed)} of {len(ev.results)} results failed: {_few(described)}"
    return True, f"{len(judged)} results passed ({len(ev.results) - len(judged)} not judged)"


def _describe(result: Mapping[str, Any]) -> str:
    if result.get("error"):
        return f"{result.get('element')} {result.get('property')} (error: {result['error']})"
    what = f"{result.get('element')} {result.get('property')}"
    return f"{what} = {result.get('value')} {result.get('unit')}"


def _license_declared(ev: Evidence) -> tuple[bool, str]:
    if ev.descriptor.license:
        return True, f"licence {ev.descriptor.license}"
    return False, "the descriptor declares no license"


def is_sensitive(column: Column) -> bool:
    """Whether ``column`` looks personal or proprietary (by flag, tag or name)."""
    return looks_sensitive(column.name, column.raw)


def _sensitive_classified(ev: Evidence) -> tuple[bool, str]:
    sensitive = [(t, c) for t in ev.tables for c in t.columns if is_sensitive(c)]
    missing = [f"{t.name}.{c.name}" for t, c in sensitive if not c.classification]
    if missing:
        return False, f"sensitive columns without classification: {_few(missing)}"
    if not sensitive:
        return True, "no sensitive column found"
    return True, f"all {len(sensitive)} sensitive columns are classified"


POLICIES: tuple[Policy, ...] = (
    Policy("columns-described", "Every column is described", "provenance and lineage",
           _columns_described),
    Policy("owner-and-team", "Owner and team are named", "provenance and lineage",
           _owner_and_team),
    Policy("sla-declared", "Latency and retention SLAs are declared",
           "service levels and quality", _sla_declared),
    Policy("quality-passes", "Quality and service level results pass",
           "service levels and quality", _quality_passes),
    Policy("license-declared", "A licence is declared", "pricing and licensing",
           _license_declared),
    Policy("sensitive-classified", "Sensitive columns carry a classification",
           "privacy and security", _sensitive_classified),
)  # fmt: skip


def report(evidence: Evidence, now: datetime) -> CertificationReport:
    """The certification report: ``status``, ``checkedAt`` and one entry per policy."""
    policies: list[PolicyVerdict] = []
    for policy in POLICIES:
        certified, text = policy.check(evidence)
        policies.append(
            {
                "id": policy.id,
                "name": policy.name,
                "area": policy.area,
                "certified": certified,
                "evidence": text,
            }
        )
    status: CertificationStatus = OK if all(p["certified"] for p in policies) else NOT_COMPLIANT
    return {
        "status": status,
        "checkedAt": iso(now),
        "productId": evidence.descriptor.id,
        "policies": policies,
    }


def _few(items: Iterable[str], limit: int = 5) -> str:
    items = list(items)
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" and {more} more" if more > 0 else "")
