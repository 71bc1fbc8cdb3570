"""The planner's view of the mesh: every table of a registered product's output contracts.

A logical table is ``domain.product.table`` (the product's slug). Each contract version of
an output port is one :class:`CatalogTable`; ``domain.product.table`` means the newest
version, ``domain.product.table@1.0.0`` one exact version and ``domain.product.table@1``
the newest of major version 1. Only the columns a contract declares exist.

Where an engine reads a table comes from the contract's ``servers``:

* duckdb: a ``local`` server (Parquet / CSV / JSON path relative to the repository root)
  becomes the view ``mesh."<domain>__<slug>__<table>"`` that the engine creates ('-'
  becomes '_'; an older contract version adds ``__v1_0_0``); without one, a ``postgres``
  server is read through the PostgreSQL database the engine attaches as
  ``duckdb_catalogs["postgres"]``.
* trino: a ``trino`` server (``catalog``, ``schema``) if the contract has one; else a
  ``postgres`` server is ``(trino_catalogs["postgres"], schema, table)`` and a ``mysql``
  server ``(trino_catalogs["mysql"], database, table)``.

Each location is then judged against the operator's :class:`~gateway.federation.reach.Reach`
(data roots, Trino catalogs, database hosts): one out of reach is dropped, and the table
keeps the reason in :attr:`CatalogTable.unavailable` so a query naming it is refused with
``TABLE_UNAVAILABLE`` and the product shows why. Then each location in reach goes to one
product only (:mod:`gateway.federation.location_owner`): a product whose contract points
at data another product registered earlier claims loses that location the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from contracts import load_contract, load_descriptor
from contracts.lifecycle import lifecycle_dates
from contracts.versions import major, version_key
from gateway.federation.contract_access import ContractRole, column_masking, table_roles
from gateway.federation.location_owner import assign_owners
from gateway.federation.reach import LocalFiles, Reach

DEFAULT_TRINO_CATALOGS: Mapping[str, str] = {"postgres": "demo_pg", "mysql": "demo_mariadb"}
DEFAULT_DUCKDB_CATALOGS: Mapping[str, str] = {"postgres": "demo_pg"}
DUCKDB_VIEW_SCHEMA = "mesh"
ENGINES = ("duckdb", "trino")


@dataclass(frozen=True)
class CatalogColumn:
    """A column a contract declares; ``physical_name`` is its name in the store.

    ``classification``, ``tags`` and ``masking`` (the contract's ``masking`` custom
    property, ``hash`` by default) decide whether and how the column is masked.
    """

    name: str
    logical_type: str | None
    physical_type: str | None
    physical_name: str = ""
    classification: str | None = None
    tags: tuple[str, ...] = ()
    masking: str = "hash"

    def __post_init__(self) -> None:
        if not self.physical_name:
            object.__setattr__(self, "physical_name", self.name)


@dataclass(frozen=True)
class PhysicalLocation:
    """Where one engine reads a table: identifier parts plus the server entry behind them.

    For a duckdb ``local`` table, ``source["path"]`` is the table's own file path or glob
    (``{table}`` filled in) and ``source["table"]`` its physical name. ``logical_columns``
    says the relation already exposes the declared columns under their contract names (the
    views the DuckDB engine creates do); otherwise the planner renames physical columns.
    ``files`` is what the reach resolved a ``local`` path to (set by :func:`build_catalog`).
    """

    engine: str
    parts: tuple[str, ...]
    source: Mapping[str, Any]
    logical_columns: bool = False
    files: LocalFiles | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class CatalogTable:
    """One table of one output contract version."""

    logical: str
    domain: str
    product: str
    table: str
    product_id: str
    contract_id: str
    contract_version: str
    columns: tuple[CatalogColumn, ...]
    locations: Mapping[str, PhysicalLocation]
    physical_name: str = ""
    roles: tuple[ContractRole, ...] = ()
    unavailable: Mapping[str, str] = field(default_factory=dict)  # engine -> why not
    lifecycle: Mapping[str, Any] = field(default_factory=dict)  # contracts.lifecycle_dates

    @property
    def versioned(self) -> str:
        """``domain.product.table@version``: the name of exactly this contract version."""
        return f"{self.logical}@{self.contract_version}"

    def column(self, name: str) -> CatalogColumn | None:
        """The declared column called ``name`` (case-insensitive), if any."""
        wanted = name.lower()
        return next((c for c in self.columns if c.name.lower() == wanted), None)


@dataclass(frozen=True)
class UnavailableTable:
    """A table one engine may not read, because its contract points out of reach."""

    product_id: str
    table: str  # the logical name, domain.product.table
    version: str
    engine: str
    reason: str


class Catalog(Protocol):
    """What the planner needs to know about the mesh."""

    def tables(self) -> Sequence[CatalogTable]: ...

    def get(self, logical: str) -> CatalogTable | None: ...


class StaticCatalog:
    """A catalog built once from contract documents; lookups are case-insensitive."""

    def __init__(self, tables: Iterable[CatalogTable]) -> None:
        self._tables = tuple(tables)
        versions: dict[str, list[CatalogTable]] = {}
        for table in self._tables:
            versions.setdefault(table.logical.lower(), []).append(table)
        for found in versions.values():
            found.sort(key=lambda t: version_key(t.contract_version), reverse=True)
        self._versions = versions

    def tables(self) -> Sequence[CatalogTable]:
        """Every table, each contract version once."""
        return self._tables

    def get(self, logical: str) -> CatalogTable | None:
        """The table named ``logical``, ``logical@1.2.3`` or ``logical@1`` (newest of major 1).

        "Newest" is :func:`contracts.versions.version_key`'s: the newest release, a
        pre-release only when its major (or the table) has no release.

        >>> StaticCatalog([]).get("a.b.c") is None
        True
        """
        name, _, wanted = logical.lower().partition("@")
        found = self._versions.get(name, [])
        if not wanted:
            return found[0] if found else None
        for table in found:
            version = table.contract_version.lower()
            if version == wanted or (wanted.isdigit() and major(version) == int(wanted)):
                return table
        return None

    @property
    def unavailable(self) -> list[UnavailableTable]:
        """Every (table version, engine) left out because its server is out of reach."""
        return [
            UnavailableTable(t.product_id, t.logical, t.contract_version, engine, reason)
            for t in self._tables
            for engine, reason in sorted(t.unavailable.items())
        ]

    def names(self) -> list[str]:
        """Every name a caller may write: each logical name and each versioned name."""
        plain = [t[0].logical for t in self._versions.values()]
        return sorted({*plain, *(t.versioned for t in self._tables)})


Entry = tuple[str, str, str, Mapping[str, Any]]
"""``(product_id, domain, slug, contract_raw)`` of one output contract."""


Memo = dict[tuple[str, str, str], tuple[tuple[Mapping[str, Any], ...], list["CatalogTable"]]]
"""The tables of each product's contracts, as last built, by (product id, domain, slug):
:func:`build_catalog` rebuilds only a product whose contract documents are not the very
objects it built them from."""


def build_catalog(
    entries: Iterable[Entry],
    *,
    trino_catalogs: Mapping[str, str] = DEFAULT_TRINO_CATALOGS,
    duckdb_catalogs: Mapping[str, str] = DEFAULT_DUCKDB_CATALOGS,
    reach: Reach | None = None,
    registered: Mapping[str, datetime] | None = None,
    memo: Memo | None = None,
) -> StaticCatalog:
    """A catalog from ``(product_id, domain, slug, contract_raw)`` of OUTPUT contracts only.

    ``contract_raw`` is a contract document with its server placeholders resolved
    (``ContractDocument.raw``). ``reach`` is what the operator lets engines read (by
    default the settings' defaults, relative paths under the current directory).
    ``registered`` maps product ids to their registration time: when two products'
    locations overlap, the one registered first keeps it (without a time, the product id
    decides; see :mod:`gateway.federation.location_owner`). A product that is down is
    given here with its last known contracts (:mod:`gateway.federation.live_catalog`), so
    its locations stay its own and nothing is handed over while it is down.
    """
    reach = reach or Reach.of()
    if memo is None:
        tables = _tables(list(entries), trino_catalogs, duckdb_catalogs, reach)
    else:
        tables = _memo_tables(list(entries), memo, trino_catalogs, duckdb_catalogs, reach)
    return StaticCatalog(
        assign_owners(tables, registered=registered, trino_catalogs=trino_catalogs)
    )


def _memo_tables(
    entries: list[Entry],
    memo: Memo,
    trino_catalogs: Mapping[str, str],
    duckdb_catalogs: Mapping[str, str],
    reach: Reach,
) -> list[CatalogTable]:
    """:func:`_tables`, product by product, reusing ``memo`` (a catalog kept as state adds
    or changes a product at a time: the others' tables need no rebuild). A product's
    tables depend only on its own entries (versions compare within one domain.slug);
    ``memo`` keeps the documents it was built from, so an entry is reused only for the
    very same objects, and it is left holding the products of ``entries`` only."""
    groups: dict[tuple[str, str, str], list[Entry]] = {}
    for entry in entries:
        groups.setdefault((entry[0], entry[1], entry[2]), []).append(entry)
    tables: list[CatalogTable] = []
    for key, group in groups.items():
        raws = tuple(entry[3] for entry in group)
        held = memo.get(key)
        if (
            held is None
            or len(held[0]) != len(raws)
            or any(a is not b for a, b in zip(held[0], raws, strict=True))
        ):
            held = (raws, _tables(group, trino_catalogs, duckdb_catalogs, reach))
            memo[key] = held
        tables.extend(held[1])
    for key in [k for k in memo if k not in groups]:
        del memo[key]
    return tables


def _tables(
    entries: list[Entry],
    trino_catalogs: Mapping[str, str],
    duckdb_catalogs: Mapping[str, str],
    reach: Reach,
) -> list[CatalogTable]:
    newest: dict[tuple[str, str, str], str] = {}
    for _, domain, slug, raw in entries:
        for obj in _objects(raw):
            key = (domain, slug, obj["name"])
            current = newest.get(key)
            if current is None or version_key(str(raw["version"])) > version_key(current):
                newest[key] = str(raw["version"])
    tables = []
    for product_id, domain, slug, raw in entries:
        objects = _objects(raw)
        for obj in objects:
            is_newest = newest[(domain, slug, obj["name"])] == str(raw["version"])
            tables.append(
                _table(
                    product_id,
                    domain,
                    slug,
                    raw,
                    obj,
                    len(objects),
                    is_newest,
                    trino_catalogs,
                    duckdb_catalogs,
                    reach,
                )  # fmt: skip
            )
    return tables


def load_product_folders(
    folders: Iterable[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    trino_catalogs: Mapping[str, str] = DEFAULT_TRINO_CATALOGS,
    duckdb_catalogs: Mapping[str, str] = DEFAULT_DUCKDB_CATALOGS,
    reach: Reach | None = None,
) -> StaticCatalog:
    """A catalog from product folders (``product.yaml`` + ``contracts/*.yaml``).

    Only contracts some product version lists under ``out`` count.
    """
    entries: list[Entry] = []
    for folder in folders:
        descriptor = load_descriptor(Path(folder) / "product.yaml")
        outputs = {(ref.contract_id, ref.version) for v in descriptor.versions for ref in v.outputs}
        for path in sorted((Path(folder) / "contracts").glob("*.y*ml")):
            contract = load_contract(path, env)
            if (contract.id, contract.version) in outputs:
                entries.append((descriptor.id, descriptor.domain, descriptor.slug, contract.raw))
    return build_catalog(
        entries, trino_catalogs=trino_catalogs, duckdb_catalogs=duckdb_catalogs, reach=reach
    )


def _objects(raw: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [o for o in raw.get("schema") or [] if isinstance(o, Mapping) and o.get("name")]


def _table(
    product_id: str,
    domain: str,
    slug: str,
    raw: Mapping[str, Any],
    obj: Mapping[str, Any],
    table_count: int,
    is_newest: bool,
    trino_catalogs: Mapping[str, str],
    duckdb_catalogs: Mapping[str, str],
    reach: Reach,
) -> CatalogTable:
    name = str(obj["name"])
    physical = str(obj.get("physicalName") or name)
    version = str(raw["version"])
    columns = tuple(
        CatalogColumn(
            name=str(p["name"]),
            logical_type=p.get("logicalType"),
            physical_type=p.get("physicalType"),
            physical_name=str(p.get("physicalName") or p["name"]),
            classification=str(p["classification"]) if p.get("classification") else None,
            tags=tuple(map(str, p["tags"])) if isinstance(p.get("tags"), list) else (),
            masking=column_masking(p),
        )
        for p in obj.get("properties") or []
        if isinstance(p, Mapping) and p.get("name")
    )
    view = "__".join(part.replace("-", "_") for part in (domain, slug, name))
    if not is_newest:
        view += "__v" + re.sub(r"[^0-9A-Za-z]", "_", version)
    servers = [s for s in raw.get("servers") or [] if isinstance(s, Mapping)]
    locations: dict[str, PhysicalLocation] = {}
    unavailable: dict[str, str] = {}
    found = (
        _duckdb_location(servers, view, physical, table_count, duckdb_catalogs),
        _trino_location(servers, physical, trino_catalogs),
    )
    for location in found:
        if location is None:
            continue
        reason, files = reach.place(location)
        if reason is None:
            locations[location.engine] = replace(location, files=files) if files else location
        else:
            unavailable[location.engine] = reason
    return CatalogTable(
        logical=f"{domain}.{slug}.{name}",
        domain=domain,
        product=slug,
        table=name,
        product_id=product_id,
        contract_id=str(raw["id"]),
        contract_version=version,
        columns=columns,
        locations=locations,
        physical_name=physical,
        roles=table_roles(raw, name, [str(o["name"]) for o in _objects(raw)]),
        unavailable=unavailable,
        lifecycle=lifecycle_dates(raw),
    )


def _first(servers: Sequence[Mapping[str, Any]], kind: str) -> Mapping[str, Any] | None:
    return next((s for s in servers if str(s.get("type", "")).lower() == kind), None)


def _duckdb_location(
    servers: Sequence[Mapping[str, Any]],
    view: str,
    physical: str,
    table_count: int,
    catalogs: Mapping[str, str],
) -> PhysicalLocation | None:
    local = _first(servers, "local")
    if local is not None and local.get("path"):
        path = str(local["path"])
        fmt = str(local.get("format", "")).lower()
        if "{table}" in path or "{model}" in path:
            path = path.replace("{table}", physical).replace("{model}", physical)
        elif table_count > 1:
            # A folder holding one file per table, named after the table's physical name.
            path = f"{path.rstrip('/')}/{physical}.{fmt}"
        source = {**local, "path": path, "table": physical}
        return PhysicalLocation("duckdb", (DUCKDB_VIEW_SCHEMA, view), source, True)
    postgres = _first(servers, "postgres")
    if postgres is not None and "postgres" in catalogs and postgres.get("schema"):
        parts = (catalogs["postgres"], str(postgres["schema"]), physical)
        return PhysicalLocation("duckdb", parts, dict(postgres), True)
    return None


def _trino_location(
    servers: Sequence[Mapping[str, Any]], physical: str, catalogs: Mapping[str, str]
) -> PhysicalLocation | None:
    trino = _first(servers, "trino")
    if trino is not None and trino.get("catalog") and trino.get("schema"):
        parts = (str(trino["catalog"]), str(trino["schema"]), physical)
        return PhysicalLocation("trino", parts, dict(trino))
    postgres = _first(servers, "postgres")
    if postgres is not None and "postgres" in catalogs and postgres.get("schema"):
        parts = (catalogs["postgres"], str(postgres["schema"]), physical)
        return PhysicalLocation("trino", parts, dict(postgres))
    mysql = _first(servers, "mysql")
    if mysql is not None and "mysql" in catalogs and mysql.get("database"):
        parts = (catalogs["mysql"], str(mysql["database"]), physical)
        return PhysicalLocation("trino", parts, dict(mysql))
    return None


__all__ = [
    "DEFAULT_DUCKDB_CATALOGS",
    "DEFAULT_TRINO_CATALOGS",
    "ENGINES",
    "Catalog",
    "Entry",
    "Memo",
    "CatalogColumn",
    "CatalogTable",
    "PhysicalLocation",
    "StaticCatalog",
    "UnavailableTable",
    "build_catalog",
    "load_product_folders",
    "version_key",
]
