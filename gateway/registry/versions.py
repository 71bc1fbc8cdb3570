"""Contract versions a product published, and the breaking changes it did not declare.

The registry keeps no copy of a product's contracts for showing them (they are read live),
but judging a new version needs the one before it, which the product may no longer serve.
So the SHAPE of each contract version a product served at registration or refresh is kept
(:func:`shape_of`: names, types, keys, rules, SLA and servers; its prose only as digests,
so a changed description is still seen and no text of the contract is stored; at most
:data:`MAX_VERSIONS_KEPT` per contract, the newest, each at most
:data:`MAX_SNAPSHOT_BYTES`), and every pair of consecutive known versions of one contract
is compared (:mod:`contracts.compare`). A pair whose changes call for a bigger bump than
its version numbers declare (a removed column published as 1.1.0 after 1.0.0) is a
:class:`VersionFlag`: stored with the product and shown as a warning on it, code
:data:`BREAKING_CODE`. A flag never refuses the registration: the owner is told, not
locked out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from contracts.compare import compare_contracts, declared_bump
from contracts.versions import parse_version

#: The stable code of the warning of an incompatible change without its bump.
BREAKING_CODE = "breaking_change_without_major_bump"
#: Versions of one contract kept per product to compare with (the newest).
MAX_VERSIONS_KEPT = 20
#: A contract document larger than this (as JSON text) is not kept (nothing to compare).
MAX_SNAPSHOT_BYTES = 2_097_152
#: Changes named in one flag (the full list is ``compareContracts``'s answer).
MAX_CHANGES_NAMED = 5

Snapshots = Mapping[tuple[str, str], Mapping[str, Any]]


@dataclass(frozen=True)
class VersionFlag:
    """Version ``to_version`` of contract ``contract_id`` breaks ``from_version`` without
    declaring it: ``required_bump`` exceeds ``declared_bump`` (None: versions not semver)."""

    contract_id: str
    from_version: str
    to_version: str
    required_bump: str
    declared_bump: str | None
    changes: tuple[str, ...]
    change_count: int

    @property
    def message(self) -> str:
        declared = self.declared_bump or "an unreadable"
        named = "; ".join(self.changes)
        more = self.change_count - len(self.changes)
        tail = f" (and {more} more)" if more > 0 else ""
        return (
            f"contract {self.contract_id} version {self.to_version} makes {self.required_bump} "
            f"changes to {self.from_version} but is a {declared} version bump: {named}{tail}"
        )


@dataclass(frozen=True)
class ContractsChanged:
    """A registration or refresh of ``product_id`` brought contract versions not seen
    before: ``added`` (contract id, version) pairs, ``versions`` all those now kept, and
    the ``flags`` raised against the added ones."""

    product_id: str
    added: tuple[tuple[str, str], ...]
    versions: tuple[tuple[str, str], ...]
    flags: tuple[VersionFlag, ...]
    at: datetime


def version_flags(known: Snapshots) -> list[VersionFlag]:
    """The flags of every pair of consecutive known versions of each contract.

    >>> v1 = {"schema": [{"name": "t", "properties": [{"name": "a"}, {"name": "b"}]}]}
    >>> v11 = {"schema": [{"name": "t", "properties": [{"name": "a"}]}]}
    >>> [f.to_version for f in version_flags({("c", "1.0.0"): v1, ("c", "1.1.0"): v11})]
    ['1.1.0']
    >>> version_flags({("c", "1.0.0"): v1, ("c", "2.0.0"): v11})
    []
    """
    by_contract: dict[str, list[str]] = {}
    for contract_id, version in known:
        by_contract.setdefault(contract_id, []).append(version)
    flags: list[VersionFlag] = []
    for contract_id in sorted(by_contract):
        versions = sorted(by_contract[contract_id], key=chain_key)
        for old, new in zip(versions, versions[1:], strict=False):
            result = compare_contracts(known[(contract_id, old)], known[(contract_id, new)])
            declared = declared_bump(old, new)
            if result.compatible_with(declared):
                continue
            required = result.required_bump  # once: it walks every change
            worst = [c for c in result.changes if c.severity == required]
            flags.append(
                VersionFlag(
                    contract_id=contract_id,
                    from_version=old,
                    to_version=new,
                    required_bump=required,
                    declared_bump=declared,
                    changes=tuple(f"{c.path}: {c.message}" for c in worst[:MAX_CHANGES_NAMED]),
                    change_count=len(worst),
                )
            )
    return flags


def chain_key(version: str) -> tuple[int, Any]:
    """Versions in the order they were released: plain semantic-version precedence (a
    pre-release just before its release, ``2.0.0-rc1`` after ``1.4.0``), strings that are
    not versions first, by text.

    >>> sorted(["2.0.0", "2.0.0-rc1", "1.4.0", "latest"], key=chain_key)
    ['latest', '1.4.0', '2.0.0-rc1', '2.0.0']
    """
    parsed = parse_version(version)
    return (0, version) if parsed is None else (1, parsed)


def kept_versions(known: Snapshots) -> dict[tuple[str, str], Mapping[str, Any]]:
    """``known`` cut to the newest :data:`MAX_VERSIONS_KEPT` versions of each contract."""
    by_contract: dict[str, list[str]] = {}
    for contract_id, version in known:
        by_contract.setdefault(contract_id, []).append(version)
    kept: dict[tuple[str, str], Mapping[str, Any]] = {}
    for contract_id, versions in by_contract.items():
        for version in sorted(versions, key=chain_key)[-MAX_VERSIONS_KEPT:]:
            kept[(contract_id, version)] = known[(contract_id, version)]
    return kept


#: Fields kept only as a digest: what people read, not what programs rely on.
PROSE = frozenset(
    {
        "description",
        "businessName",
        "examples",
        "comment",
        "purpose",
        "usage",
        "limitations",
        "transformDescription",
        "dataGranularityDescription",
        "authoritativeDefinitions",
        "team",
        "support",
        "price",
        "context",
    }
)
# Fields that name the document (kept in the key) or say nothing to compare.
_DROPPED = frozenset({"kind", "id", "version"})


def shape_of(document: Mapping[str, Any]) -> dict[str, Any]:
    """What is kept of a contract: everything compared, prose as digests.

    >>> shape_of({"kind": "DataContract", "id": "c", "description": {"purpose": "p"},
    ...           "schema": [{"name": "t", "description": "secret"}]})["schema"][0]
    {'name': 't', 'description': 'sha256:c1980264fc223a89'}
    """
    return {k: _shape(k, v) for k, v in document.items() if k not in _DROPPED}


def _shape(key: str, value: Any) -> Any:
    if key in PROSE:
        text = json.dumps(value, sort_keys=True, default=str)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]
    if isinstance(value, Mapping):
        return {str(k): _shape(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape("", v) for v in value]
    return value


def snapshot_text(document: object) -> str | None:
    """The JSON text kept of a served contract document (its shape), or None if not kept."""
    if not isinstance(document, Mapping):
        return None
    text = json.dumps(shape_of(document), separators=(",", ":"), sort_keys=True)
    return text if len(text) <= MAX_SNAPSHOT_BYTES else None


def flags_text(flags: list[VersionFlag]) -> str:
    return json.dumps([asdict(f) for f in flags])


def flags_of(text: str | None) -> list[VersionFlag]:
    """The flags stored as :func:`flags_text` wrote them (none for no text)."""
    if not text:
        return []
    return [VersionFlag(**{**item, "changes": tuple(item["changes"])}) for item in json.loads(text)]
