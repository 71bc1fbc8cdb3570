"""The PostgreSQL usage store: the registry's database, tables of its own.

A bounded pool of psycopg 3 connections serves the store, as in the registry
(:class:`~gateway.stores.PostgresCalls`); a connection found broken is replaced and the
call tried once more. Recording a query is one statement (one round trip): the query row and
its table reads go in together through a data-modifying ``WITH``.
"""

from __future__ import annotations

import builtins
import json
from datetime import datetime
from typing import Any

from psycopg.rows import TupleRow

from gateway.federation.records import QueryRecord
from gateway.stores import Connection, PostgresCalls, utc
from gateway.usage import statements
from gateway.usage.model import (
    QueryLog,
    Reader,
    RecentQuery,
    TableRead,
    TableUsage,
    UsageTotals,
    clip_sql,
    reads_of,
)
from gateway.usage.store import (
    MAX_RECENT,
    UsageError,
    check_first,
    shape_tables,
    sort_reads,
    window_args,
)

_D = statements.POSTGRES

# Each entry moves the schema one version up; never edit a released entry, add one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """
            CREATE TABLE usage_queries (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at timestamptz NOT NULL,
                caller text,
                engine text NOT NULL,
                outcome text NOT NULL,
                row_count bigint NOT NULL,
                elapsed_ms double precision NOT NULL,
                sql_text text NOT NULL
            )
            """,
            "CREATE INDEX usage_queries_at ON usage_queries (at)",
            """
            CREATE TABLE usage_reads (
                query_id bigint NOT NULL REFERENCES usage_queries (id) ON DELETE CASCADE,
                product_id text NOT NULL,
                table_name text NOT NULL,
                contract_id text NOT NULL,
                contract_version text NOT NULL,
                columns jsonb NOT NULL,
                PRIMARY KEY (query_id, table_name, contract_version)
            )
            """,
            "CREATE INDEX usage_reads_product ON usage_reads (product_id, query_id)",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
# Serializes gateways migrating the same database at the same time ("usage" in ASCII).
_MIGRATION_LOCK = 0x7573616765

_RECORD = """
WITH q AS (
    INSERT INTO usage_queries (at, caller, engine, outcome, row_count, elapsed_ms, sql_text)
    VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id
)
INSERT INTO usage_reads (query_id, product_id, table_name, contract_id, contract_version, columns)
SELECT q.id, x.product_id, x.table_name, x.contract_id, x.contract_version, x.columns
FROM q, jsonb_to_recordset(%s::jsonb) AS x(
    product_id text, table_name text, contract_id text, contract_version text, columns jsonb
)
"""


class PostgresUsageStore:
    """A :class:`~gateway.usage.store.UsageStore` in a PostgreSQL database."""

    def __init__(self, calls: PostgresCalls) -> None:
        """Wrap the calls on an open, migrated database; use :meth:`open` instead."""
        self._calls = calls

    @classmethod
    async def open(cls, dsn: str, *, pool_size: int = 4) -> PostgresUsageStore:
        """Bring the usage tables at ``dsn`` up to date and pool connections to it."""
        calls = await PostgresCalls.open(
            dsn, MIGRATIONS, table="usage_schema", what="usage store", error=UsageError,
            lock_key=_MIGRATION_LOCK, pool_size=pool_size,
        )  # fmt: skip
        return cls(calls)

    async def record(self, entry: QueryRecord) -> None:
        """See :meth:`UsageStore.record`."""
        reads = [
            {
                "product_id": r.product_id,
                "table_name": r.table,
                "contract_id": r.contract_id,
                "contract_version": r.contract_version,
                "columns": list(r.columns),
            }
            for r in reads_of(entry)
        ]
        args = (
            utc(entry.at), entry.caller, entry.engine, entry.outcome, entry.rows,
            entry.elapsed_ms, clip_sql(entry.sql), json.dumps(reads),
        )  # fmt: skip

        async def write(conn: Connection) -> None:
            await conn.execute(_RECORD, args)

        await self._calls.run(write)

    async def totals(self, product_id: str, *, since: datetime | None = None) -> UsageTotals:
        """See :meth:`UsageStore.totals`."""
        sql = statements.totals(_D, since=since is not None)
        rows = await self._select(sql, window_args(product_id, _since(since)))
        queries, served, last, callers = rows[0]
        return UsageTotals(int(queries), int(served), last, int(callers))

    async def tables(
        self, product_id: str, *, since: datetime | None = None
    ) -> builtins.list[TableUsage]:
        """See :meth:`UsageStore.tables`."""
        sql = statements.by_table(_D, since=since is not None)
        return shape_tables(await self._select(sql, window_args(product_id, _since(since)) * 2))

    async def recent(
        self, product_id: str, *, since: datetime | None = None, first: int = 10
    ) -> builtins.list[RecentQuery]:
        """See :meth:`UsageStore.recent`."""
        check_first(first)
        sql = statements.recent(_D, since=since is not None)
        rows = await self._select(sql, [*window_args(product_id, _since(since)), first])
        return [RecentQuery(r[0], r[1], r[2], r[3], int(r[4]), float(r[5]), r[6]) for r in rows]

    async def readers(self, product_id: str, *, limit: int = 1000) -> builtins.list[Reader]:
        """See :meth:`UsageStore.readers`."""
        rows = await self._select(statements.readers(_D), [product_id, product_id, limit])
        return [Reader(r[0], r[1], r[2], int(r[3])) for r in rows]

    async def log(
        self, *, since: datetime | None = None, limit: int = MAX_RECENT
    ) -> builtins.list[QueryLog]:
        """See :meth:`UsageStore.log`."""
        check_first(limit, "limit")
        sql = statements.log(_D, since=since is not None)
        heads = await self._select(sql, [limit] if since is None else [utc(since), limit])
        reads: dict[int, builtins.list[TableRead]] = {}
        if heads:
            ids = [h[0] for h in heads]
            for r in await self._select(statements.reads_of(_D, len(ids)), ids):
                reads.setdefault(r[0], []).append(TableRead(r[1], r[2], r[3], r[4], tuple(r[5])))
        return [
            QueryLog(
                id=h[0], at=h[1], caller=h[2], engine=h[3], outcome=h[4], rows=int(h[5]),
                elapsed_ms=float(h[6]), sql=h[7],
                reads=sort_reads(reads.get(h[0], [])),
            )
            for h in heads
        ]  # fmt: skip

    async def purge(self, older_than: datetime) -> int:
        """See :meth:`UsageStore.purge`."""
        return await self._calls.execute(statements.purge(_D), (utc(older_than),))

    async def close(self) -> None:
        """See :meth:`UsageStore.close`."""
        await self._calls.close()

    async def _select(self, sql: str, args: builtins.list[Any]) -> builtins.list[TupleRow]:
        return await self._calls.select(sql, args)


def _since(since: datetime | None) -> datetime | None:
    return None if since is None else utc(since)
