"""The tables a product publishes, read from its output contracts' ``schema`` objects.

A :class:`Table` is what the kit serves, probes and checks: its columns, its quality
rules, its service levels and which column tells how fresh it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from contracts import ContractDocument

# Columns named like this hold the time a row describes or was written (why: a table
# rarely says which column tells its freshness, but its names usually do).
_TIME_NAME = re.compile(r"(^|_)(date|day|time|timestamp|observed_at|updated_at|created_at)$|_at$")
_TIME_TYPES = frozenset({"date", "timestamp"})

_UNIT_SECONDS = {
    "ms": 0.001,
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "w": 604800.0, "week": 604800.0, "weeks": 604800.0,
    "y": 31557600.0, "yr": 31557600.0, "year": 31557600.0, "years": 31557600.0,
}  # fmt: skip


@dataclass(frozen=True)
class Column:
    """One property of a schema object; ``raw`` is the property as written."""

    name: str
    physical_name: str
    logical_type: str | None
    description: str | None
    primary_key: bool
    required: bool
    unique: bool
    classification: str | None
    quality: tuple[Mapping[str, Any], ...]
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class Duration:
    """A service level duration as written (``2 d``) and in seconds."""

    value: float
    unit: str
    seconds: float


@dataclass(frozen=True)
class Table:
    """One published table (a schema object of an output contract)."""

    name: str
    physical_name: str
    description: str | None
    contract: ContractDocument
    columns: tuple[Column, ...]
    quality: tuple[Mapping[str, Any], ...]
    tags: tuple[str, ...]
    roles: tuple[str, ...]
    latency: Duration | None
    freshness_column: Column | None

    @property
    def key_columns(self) -> tuple[Column, ...]:
        """The primary key columns, in key order (for a stable row order)."""
        keys = [c for c in self.columns if c.primary_key]
        return tuple(sorted(keys, key=lambda c: c.raw.get("primaryKeyPosition") or 0))

    def column(self, name: str) -> Column | None:
        """The column called ``name`` (logical name), if any."""
        return next((c for c in self.columns if c.name == name), None)


def parse_duration(value: Any, unit: Any) -> Duration | None:
    """A duration from an SLA ``value`` and ``unit``; ``None`` when it is not one.

    >>> parse_duration(2, "d").seconds
    172800.0
    >>> parse_duration("soon", "d") is None
    True
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    unit_name = unit.strip().lower() if isinstance(unit, str) else "s"
    factor = _UNIT_SECONDS.get(unit_name)
    if factor is None:
        return None
    return Duration(float(value), unit_name, float(value) * factor)


def sla_property(contract: ContractDocument, name: str) -> Mapping[str, Any] | None:
    """The first ``slaProperties`` entry called ``name`` (case-insensitive)."""
    for entry in contract.raw.get("slaProperties") or []:
        if isinstance(entry, dict) and str(entry.get("property", "")).lower() == name.lower():
            return entry
    return None


def tables_of(contracts: Iterable[ContractDocument]) -> list[Table]:
    """Every table of ``contracts``; a name already taken by an earlier contract is skipped.

    Give the newest contract first so a table name means its newest version.
    """
    tables: dict[str, Table] = {}
    for contract in contracts:
        for obj in contract.raw.get("schema") or []:
            if isinstance(obj, dict) and isinstance(obj.get("name"), str):
                tables.setdefault(obj["name"], _table(contract, obj))
    return list(tables.values())


def _table(contract: ContractDocument, obj: Mapping[str, Any]) -> Table:
    columns = tuple(_column(p) for p in obj.get("properties") or [] if isinstance(p, dict))
    name = obj["name"]
    latency_entry = sla_property(contract, "latency")
    latency = None
    if latency_entry is not None and _applies_to(latency_entry, contract, name):
        latency = parse_duration(latency_entry.get("value"), latency_entry.get("unit"))
    roles = tuple(
        str(r["role"])
        for r in contract.raw.get("roles") or []
        if isinstance(r, dict) and "role" in r
    )
    return Table(
        name=name,
        physical_name=obj.get("physicalName") or name,
        description=obj.get("description") or obj.get("businessName"),
        contract=contract,
        columns=columns,
        quality=tuple(q for q in obj.get("quality") or [] if isinstance(q, dict)),
        tags=tuple(dict.fromkeys([*(obj.get("tags") or []), *(contract.raw.get("tags") or [])])),
        roles=roles,
        latency=latency,
        freshness_column=_freshness_column(contract, name, columns, latency_entry),
    )


def _column(prop: Mapping[str, Any]) -> Column:
    return Column(
        name=prop["name"],
        physical_name=prop.get("physicalName") or prop["name"],
        logical_type=prop.get("logicalType"),
        description=prop.get("description"),
        primary_key=prop.get("primaryKey") is True,
        required=prop.get("required") is True,
        unique=prop.get("unique") is True,
        classification=prop.get("classification"),
        quality=tuple(q for q in prop.get("quality") or [] if isinstance(q, dict)),
        raw=prop,
    )


def _element(entry: Mapping[str, Any], contract: ContractDocument) -> str | None:
    element = entry.get("element") or contract.raw.get("slaDefaultElement")
    return element if isinstance(element, str) else None


def _applies_to(entry: Mapping[str, Any], contract: ContractDocument, table: str) -> bool:
    """An SLA entry applies to every table unless its element names another one."""
    element = _element(entry, contract)
    if element is None:
        return True
    return any(part.strip().split(".")[0] == table for part in element.split(","))


def _freshness_column(
    contract: ContractDocument,
    table: str,
    columns: tuple[Column, ...],
    latency_entry: Mapping[str, Any] | None,
) -> Column | None:
    """The column whose maximum says when the table was last updated.

    First the column the latency SLA names (``element: table.column``), then a date or
    timestamp key column, then a date or timestamp column named like a time.
    """
    by_name = {c.name: c for c in columns}
    if latency_entry is not None:
        for part in (_element(latency_entry, contract) or "").split(","):
            obj, _, col = part.strip().partition(".")
            if obj == table and col in by_name:
                return by_name[col]
    timed = [c for c in columns if (c.logical_type or "").lower() in _TIME_TYPES]
    for column in timed:
        if column.primary_key:
            return column
    for column in timed:
        if _TIME_NAME.search(column.name.lower()):
            return column
    return None
