"""What the usage store keeps about each SQL query, and the figures it answers with.

One :class:`QueryLog` per query, answered or refused (the audit trail), and one
:class:`TableRead` per table the query's plan read (the product's usage figures).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.federation.records import QueryRecord

OK = "ok"
"""The outcome of an answered query; any other outcome is an error code."""

SQL_TEXT_LIMIT = 4096
"""Characters of a query's text kept in the log: enough to recognise it, bounded."""


@dataclass(frozen=True)
class TableRead:
    """One table a query read: whose it is, under which contract, which columns."""

    product_id: str
    table: str  # the logical name ``domain.product.table``
    contract_id: str
    contract_version: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class QueryLog:
    """One recorded query as the store holds it (``sql`` clipped to :data:`SQL_TEXT_LIMIT`)."""

    id: int
    at: datetime
    caller: str | None
    engine: str
    outcome: str
    rows: int
    elapsed_ms: float
    sql: str
    reads: tuple[TableRead, ...]


@dataclass(frozen=True)
class UsageTotals:
    """A product's answered queries in a window: how many, rows, last one, distinct callers."""

    queries: int
    rows_served: int
    last_queried_at: datetime | None
    callers: int


@dataclass(frozen=True)
class ColumnUsage:
    name: str
    queries: int


@dataclass(frozen=True)
class TableUsage:
    """How many answered queries read ``table``, and each of its columns."""

    table: str
    queries: int
    columns: tuple[ColumnUsage, ...]


@dataclass(frozen=True)
class Reader:
    """A signed-in caller who read a table (``column`` None) or one of its columns."""

    caller: str
    table: str
    column: str | None
    queries: int


@dataclass(frozen=True)
class RecentQuery:
    """One query that read a product, whatever its outcome."""

    at: datetime
    caller: str | None
    engine: str
    outcome: str
    rows: int
    elapsed_ms: float
    sql: str = ""  # the statement as the log keeps it (for the product's owner)


@dataclass(frozen=True)
class ProductUsage:
    """Everything the graph shows about one product's usage in one window."""

    product_id: str
    since: datetime | None
    totals: UsageTotals
    tables: tuple[TableUsage, ...]
    recent: tuple[RecentQuery, ...]


def reads_of(entry: QueryRecord) -> tuple[TableRead, ...]:
    """The tables a recorded query read: none when the planner refused it.

    One read per table and contract version (a query may join two versions of a table);
    a pair named twice in a plan (it should not be) is merged into one read.
    """
    if entry.plan is None:
        return ()
    merged: dict[tuple[str, str], TableRead] = {}
    for use in entry.plan.tables:
        t = use.table
        key = (t.logical, t.contract_version)
        seen = merged.get(key)
        columns = tuple(dict.fromkeys((*(seen.columns if seen else ()), *use.columns)))
        merged[key] = TableRead(
            product_id=t.product_id,
            table=t.logical,
            contract_id=t.contract_id,
            contract_version=t.contract_version,
            columns=columns,
        )
    return tuple(merged.values())


def clip_sql(sql: str) -> str:
    """``sql`` cut to :data:`SQL_TEXT_LIMIT` characters.

    >>> len(clip_sql("x" * 10_000)) == SQL_TEXT_LIMIT
    True
    """
    return sql[:SQL_TEXT_LIMIT]
