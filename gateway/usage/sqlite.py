"""The SQLite usage store: the registry's file, tables of its own.

As in the registry, the stdlib driver is blocking, so each call runs in a worker thread
behind one lock. Times are stored as fixed-width UTC text so that comparing text orders
them. ``synchronous=NORMAL`` under WAL: a commit does not wait for the disk, and a
crashed or restarted gateway still loses nothing (only a power cut may drop the last
commits) — usage must not slow queries down. Foreign keys are on (as on every SQLite
connection of the gateway), so purging a query takes its table reads with it.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import sqlite3
from datetime import datetime
from os import PathLike
from typing import Any

from gateway.federation.records import QueryRecord
from gateway.migrations import open_sqlite
from gateway.stores import SqliteCalls, stamp
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

_D = statements.SQLITE

# Each entry moves the schema one version up; never edit a released entry, add one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """
            CREATE TABLE usage_queries (
                id INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                caller TEXT,
                engine TEXT NOT NULL,
                outcome TEXT NOT NULL,
                row_count INTEGER NOT NULL,
                elapsed_ms REAL NOT NULL,
                sql_text TEXT NOT NULL
            )
            """,
            "CREATE INDEX usage_queries_at ON usage_queries (at)",
            """
            CREATE TABLE usage_reads (
                query_id INTEGER NOT NULL REFERENCES usage_queries (id) ON DELETE CASCADE,
                product_id TEXT NOT NULL,
                table_name TEXT NOT NULL,
                contract_id TEXT NOT NULL,
                contract_version TEXT NOT NULL,
                columns TEXT NOT NULL,
                PRIMARY KEY (query_id, table_name, contract_version)
            )
            """,
            "CREATE INDEX usage_reads_product ON usage_reads (product_id, query_id)",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

_INSERT_QUERY = (
    "INSERT INTO usage_queries (at, caller, engine, outcome, row_count, elapsed_ms, sql_text) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_READ = (
    "INSERT INTO usage_reads (query_id, product_id, table_name, contract_id, contract_version, "
    "columns) VALUES (?, ?, ?, ?, ?, ?)"
)


class SqliteUsageStore:
    """A :class:`~gateway.usage.store.UsageStore` in one SQLite file."""

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        """Wrap an open, migrated connection; use :meth:`open` instead."""
        self._db = connection
        self._calls = SqliteCalls(connection, what="usage store", path=path, error=UsageError)

    @classmethod
    async def open(cls, path: str | PathLike[str]) -> SqliteUsageStore:
        """Open the database file at ``path`` (or ``":memory:"``), creating it if needed."""
        return await asyncio.to_thread(cls._open, str(path))

    @classmethod
    def _open(cls, path: str) -> SqliteUsageStore:
        # busy_timeout: the registry writes to the same file from its own connection.
        db = open_sqlite(
            path, MIGRATIONS, table="usage_schema", what="usage store", error=UsageError,
            pragmas=("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000"),
        )  # fmt: skip
        return cls(db, path)

    async def record(self, entry: QueryRecord) -> None:
        """See :meth:`UsageStore.record`."""
        head = (
            stamp(entry.at),
            entry.caller,
            entry.engine,
            entry.outcome,
            entry.rows,
            entry.elapsed_ms,
            clip_sql(entry.sql),
        )
        reads = reads_of(entry)
        await self._calls.run(self._record, head, reads)

    def _record(self, head: tuple[Any, ...], reads: tuple[TableRead, ...]) -> None:
        self._calls.transaction(self._insert, head, reads)

    def _insert(self, head: tuple[Any, ...], reads: tuple[TableRead, ...]) -> None:
        query_id = self._db.execute(_INSERT_QUERY, head).lastrowid
        self._db.executemany(
            _INSERT_READ,
            [
                (query_id, r.product_id, r.table, r.contract_id, r.contract_version,
                 json.dumps(list(r.columns)))
                for r in reads
            ],
        )  # fmt: skip

    async def totals(self, product_id: str, *, since: datetime | None = None) -> UsageTotals:
        """See :meth:`UsageStore.totals`."""
        sql = statements.totals(_D, since=since is not None)
        args = window_args(product_id, _since(since))
        row = await self._calls.run(lambda: self._db.execute(sql, args).fetchone())
        return UsageTotals(
            queries=int(row[0]),
            rows_served=int(row[1]),
            last_queried_at=None if row[2] is None else datetime.fromisoformat(row[2]),
            callers=int(row[3]),
        )

    async def tables(
        self, product_id: str, *, since: datetime | None = None
    ) -> builtins.list[TableUsage]:
        """See :meth:`UsageStore.tables`."""
        sql = statements.by_table(_D, since=since is not None)
        args = window_args(product_id, _since(since)) * 2
        rows = await self._calls.run(lambda: self._db.execute(sql, args).fetchall())
        return shape_tables(rows)

    async def recent(
        self, product_id: str, *, since: datetime | None = None, first: int = 10
    ) -> builtins.list[RecentQuery]:
        """See :meth:`UsageStore.recent`."""
        check_first(first)
        sql = statements.recent(_D, since=since is not None)
        args = [*window_args(product_id, _since(since)), first]
        rows = await self._calls.run(lambda: self._db.execute(sql, args).fetchall())
        return [
            RecentQuery(
                datetime.fromisoformat(r[0]), r[1], r[2], r[3], int(r[4]), float(r[5]), r[6]
            )
            for r in rows
        ]

    async def readers(self, product_id: str, *, limit: int = 1000) -> builtins.list[Reader]:
        """See :meth:`UsageStore.readers`."""
        sql = statements.readers(_D)
        args = [product_id, product_id, limit]
        rows = await self._calls.run(lambda: self._db.execute(sql, args).fetchall())
        return [Reader(r[0], r[1], r[2], int(r[3])) for r in rows]

    async def log(
        self, *, since: datetime | None = None, limit: int = MAX_RECENT
    ) -> builtins.list[QueryLog]:
        """See :meth:`UsageStore.log`."""
        check_first(limit, "limit")
        return await self._calls.run(self._log, since, limit)

    def _log(self, since: datetime | None, limit: int) -> builtins.list[QueryLog]:
        sql = statements.log(_D, since=since is not None)
        args = [limit] if since is None else [stamp(since), limit]
        heads = self._db.execute(sql, args).fetchall()
        reads: dict[int, builtins.list[TableRead]] = {}
        if heads:
            ids = [h[0] for h in heads]
            for r in self._db.execute(statements.reads_of(_D, len(ids)), ids):
                reads.setdefault(r[0], []).append(
                    TableRead(r[1], r[2], r[3], r[4], tuple(json.loads(r[5])))
                )
        return [
            QueryLog(
                id=h[0], at=datetime.fromisoformat(h[1]), caller=h[2], engine=h[3],
                outcome=h[4], rows=int(h[5]), elapsed_ms=float(h[6]), sql=h[7],
                reads=sort_reads(reads.get(h[0], [])),
            )
            for h in heads
        ]  # fmt: skip

    async def purge(self, older_than: datetime) -> int:
        """See :meth:`UsageStore.purge`."""
        sql = statements.purge(_D)
        cursor = await self._calls.run(self._db.execute, sql, (stamp(older_than),))
        return int(cursor.rowcount)

    async def close(self) -> None:
        """See :meth:`UsageStore.close`."""
        await self._calls.close()


def _since(since: datetime | None) -> str | None:
    return None if since is None else stamp(since)
