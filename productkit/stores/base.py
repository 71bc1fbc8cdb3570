"""What the kit needs from the place a product's data lives, and the SQL shared by all.

A :class:`Store` answers a few questions about a :class:`~productkit.tables.Table`:
is it there, how many rows, how fresh, a page of rows, and one number for a quality
rule. Queries are sqlglot trees rendered in the store's dialect; every identifier is
quoted and every value a literal, so no text from a contract or a request is pasted in.
Stores are synchronous (their drivers are); the runtime calls them in a thread pool, and
the database stores run those calls on bounded pools of connections, several at once.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Protocol

from sqlglot import exp

from gateway.values.moments import as_utc, date_as_utc
from productkit.tables import Column, Table

Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class TableStats:
    """What a probe learned about one table."""

    row_count: int
    last_updated: datetime | None
    bytes: int | None


class Store(Protocol):
    """Where a product's tables are read (files through DuckDB, PostgreSQL, MySQL)."""

    name: str
    dialect: str  # the sqlglot dialect its queries are rendered in
    concurrency: int  # how many calls it runs at once (its pool's size)

    def ping(self) -> None:
        """Raise :class:`~productkit.errors.StoreUnavailable` unless the store answers."""

    def table_stats(self, table: Table) -> TableStats:
        """Row count, last update and size of ``table``."""

    def sample(self, table: Table, limit: int, offset: int) -> tuple[list[str], Rows]:
        """A page of ``table``: its contract's column names and the rows, in key order."""

    def relation(self, table: Table) -> exp.Expr:
        """The table as a FROM source of this store's dialect."""

    def scalar(self, query: exp.Query) -> Any:
        """The first value of the first row of ``query`` (a quality measurement)."""

    def rule_scalar(self, query: exp.Query, timeout: float) -> Any:
        """:meth:`scalar` for a contract's SQL rule: read-only, cancelled after ``timeout``
        seconds (raise :class:`~productkit.errors.RuleTimedOut`)."""

    def close(self) -> None:
        """Release connections."""


def column_ref(column: Column) -> exp.Column:
    """A quoted reference to ``column``'s physical name."""
    return exp.column(column.physical_name, quoted=True)


def count_rows(relation: exp.Expr, where: exp.Expr | None = None) -> exp.Select:
    """``SELECT COUNT(*) FROM relation [WHERE where]``."""
    query = exp.select(exp.Count(this=exp.Star())).from_(_aliased(relation))
    return query.where(where) if where is not None else query


def _aliased(relation: exp.Expr) -> exp.Expr:
    # Table functions (read_parquet(...)) need an alias in a FROM; tables accept one.
    return exp.alias_(relation, "t", table=True)


def as_datetime(value: Any, zone: tzinfo | None = None) -> datetime | None:
    """A column's maximum as an aware UTC datetime; a value without a zone is a wall-clock
    time in ``zone``, the store's session zone (UTC when it has none): the one rule of
    :mod:`gateway.values.moments`.

    >>> as_datetime(date(2024, 5, 1)).isoformat()
    '2024-05-01T00:00:00+00:00'
    >>> from datetime import timedelta, timezone
    >>> as_datetime("2024-05-01 12:00:00", timezone(timedelta(hours=2))).isoformat()
    '2024-05-01T10:00:00+00:00'
    """
    if isinstance(value, datetime):
        return as_utc(value, zone)
    if isinstance(value, date):
        return date_as_utc(value, zone)
    if isinstance(value, str):
        try:
            return as_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")), zone)
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Answer:
    """What a statement returned, and the time zone of the session it ran in (what a
    value without a zone means there; ``None`` when the store has none: UTC)."""

    names: list[str]
    rows: Rows
    zone: tzinfo | None = None


class SqlStore(abc.ABC):
    """A store reached through SQL; its methods may be called from several threads."""

    dialect: str = ""
    concurrency: int = 1

    def __init__(self, name: str) -> None:
        self.name = name

    @abc.abstractmethod
    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[list[str], Rows]:
        """Run ``sql`` and return column names and rows; raise ``StoreUnavailable``."""

    def answer(self, sql: str, params: tuple[Any, ...] = ()) -> Answer:
        """:meth:`execute`, with the zone of the session ``sql`` ran in: each pooled
        connection is a session of its own, so the zone goes with the rows."""
        names, rows = self.execute(sql, params)
        return Answer(names, rows)

    @abc.abstractmethod
    def relation(self, table: Table) -> exp.Expr:
        """The table as a FROM source of this store's dialect."""

    def ping(self) -> None:
        """Raise ``StoreUnavailable`` unless ``SELECT 1`` answers."""
        self.execute("SELECT 1")

    def scalar(self, query: exp.Query) -> Any:
        """The first value of the first row of ``query``."""
        _, rows = self.execute(query.sql(dialect=self.dialect))
        return rows[0][0] if rows else None

    @abc.abstractmethod
    def rule_scalar(self, query: exp.Query, timeout: float) -> Any:
        """The first value of ``query`` run read-only and cancelled after ``timeout`` s."""

    def table_stats(self, table: Table) -> TableStats:
        """COUNT(*), the maximum of the freshness column, and the size when known."""
        relation = self.relation(table)
        column = table.freshness_column
        values: list[exp.Expr] = [exp.Count(this=exp.Star())]
        if column is not None:
            values.append(exp.Max(this=column_ref(column)))
        query = exp.select(*values).from_(_aliased(relation))
        found = self.answer(query.sql(dialect=self.dialect))
        row_count = int(found.rows[0][0])
        updated = as_datetime(found.rows[0][1], found.zone) if column is not None else None
        if updated is None:
            updated = self.modified_at(table)
        return TableStats(row_count, updated, self.size_of(table))

    def sample(self, table: Table, limit: int, offset: int) -> tuple[list[str], Rows]:
        """A page of ``table``: the contract's columns only, ordered by the key when any."""
        selected = [column_ref(c).as_(c.name, quoted=True) for c in table.columns]
        query = exp.select(*(selected or [exp.Star()])).from_(_aliased(self.relation(table)))
        order = table.key_columns or table.columns[:1]
        if order:
            query = query.order_by(*(column_ref(c) for c in order))
        query = query.limit(exp.Literal.number(limit)).offset(exp.Literal.number(offset))
        names, rows = self.execute(query.sql(dialect=self.dialect))
        return [c.name for c in table.columns] or names, rows

    def modified_at(self, table: Table) -> datetime | None:
        """When the table's data last changed, if the store knows without a time column."""
        return None

    def size_of(self, table: Table) -> int | None:
        """The table's size in bytes, if the store knows it."""
        return None
