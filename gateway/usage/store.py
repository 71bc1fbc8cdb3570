"""The storage interface of usage, and :func:`open_usage` that picks a backend.

The usage store lives in the registry's database (``MESHGATE_REGISTRY_URL``), in its own
tables with their own schema version, so one setting says where the gateway keeps state.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from gateway.errors import BadRequest, GatewayError
from gateway.federation.records import QueryRecord
from gateway.registry.store import parse_registry_url
from gateway.usage.model import (
    ColumnUsage,
    QueryLog,
    Reader,
    RecentQuery,
    TableRead,
    TableUsage,
    UsageTotals,
)

MAX_RECENT = 100
"""Most recent queries one call lists."""


class UsageError(GatewayError):
    """The usage store cannot be opened, read or written."""

    code = "USAGE_ERROR"


class UsageStore(Protocol):
    """Where queries are recorded and product usage is computed. Methods may raise
    :class:`UsageError`; ``since`` bounds every figure to queries at or after it."""

    async def record(self, entry: QueryRecord) -> None:
        """Keep ``entry`` and the tables its plan read (none if it was refused)."""
        ...

    async def totals(self, product_id: str, *, since: datetime | None = None) -> UsageTotals:
        """Answered queries that read the product: count, rows, last time, callers."""
        ...

    async def tables(
        self, product_id: str, *, since: datetime | None = None
    ) -> builtins.list[TableUsage]:
        """Per table of the product, answered queries that read it and each column;
        most read first."""
        ...

    async def recent(
        self, product_id: str, *, since: datetime | None = None, first: int = 10
    ) -> builtins.list[RecentQuery]:
        """The latest ``first`` queries that read the product, whatever their outcome."""
        ...

    async def readers(self, product_id: str, *, limit: int = 1000) -> builtins.list[Reader]:
        """Who read the product through answered queries, per table and per column (the
        observed edges of lineage); most queries first, at most ``limit`` rows."""
        ...

    async def log(
        self, *, since: datetime | None = None, limit: int = MAX_RECENT
    ) -> builtins.list[QueryLog]:
        """The latest ``limit`` queries of the mesh, refused ones included, newest first."""
        ...

    async def purge(self, older_than: datetime) -> int:
        """Delete the queries before ``older_than`` and their table reads; how many went."""
        ...

    async def close(self) -> None:
        """Release the connection; the data stays."""
        ...


async def open_usage(url: str, *, pool_size: int = 4) -> UsageStore:
    """Open (creating its tables if needed) the usage store in the database at ``url``.

    ``url`` is a registry URL: ``sqlite:///path.db``, ``sqlite://:memory:`` or
    ``postgresql://...`` (served by a pool of at most ``pool_size`` connections).
    """
    location = parse_registry_url(url)
    # Imported here so that a SQLite-only gateway never loads the PostgreSQL driver.
    if location.backend == "sqlite":
        from gateway.usage.sqlite import SqliteUsageStore

        return await SqliteUsageStore.open(location.target)
    from gateway.usage.postgres import PostgresUsageStore

    return await PostgresUsageStore.open(location.target, pool_size=pool_size)


def check_first(first: int, argument: str = "first") -> None:
    """Refuse a page size outside 1..:data:`MAX_RECENT` with a message naming it."""
    if not 1 <= first <= MAX_RECENT:
        raise BadRequest(f"{argument}: expected 1 to {MAX_RECENT}, got {first}", argument=argument)


def shape_tables(rows: Iterable[tuple[str, str | None, int]]) -> builtins.list[TableUsage]:
    """Rows of ``statements.by_table`` (table, column or None, queries) as tables with
    their columns, most read first, then by name (the same order on every backend).

    >>> shape_tables([("a.b.t", None, 2), ("a.b.t", "x", 1), ("a.b.t", "y", 2)])[0].columns
    (ColumnUsage(name='y', queries=2), ColumnUsage(name='x', queries=1))
    """
    counts: dict[str, int] = {}
    columns: dict[str, builtins.list[ColumnUsage]] = {}
    for table, column, queries in rows:
        if column is None:
            counts[table] = int(queries)
        else:
            columns.setdefault(table, []).append(ColumnUsage(str(column), int(queries)))
    return [
        TableUsage(
            table=table,
            queries=queries,
            columns=tuple(sorted(columns.get(table, []), key=lambda c: (-c.queries, c.name))),
        )
        for table, queries in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def window_args(product_id: str, since: Any) -> builtins.list[Any]:
    """The parameters of a product's figures: its id, then ``since`` if given."""
    return [product_id] if since is None else [product_id, since]


def sort_reads(reads: Iterable[TableRead]) -> tuple[TableRead, ...]:
    """A query's reads by table then contract version (the same order on every backend)."""
    return tuple(sorted(reads, key=lambda r: (r.table, r.contract_version)))
