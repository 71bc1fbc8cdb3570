"""What the gateway's own stores (usage, audit) share: one call at a time on one
connection per backend, foreign errors translated once, and how times are kept.

SQLite's stdlib driver blocks, so :class:`SqliteCalls` runs each call in a worker thread
behind a lock. :class:`PostgresCalls` serves one psycopg ``AsyncConnection`` behind an
``asyncio.Lock``; a connection found broken (server restart, idle timeout) is replaced and
the call tried once more. Times are kept in UTC; on SQLite as fixed-width text, so that
comparing text orders them.
"""

from __future__ import annotations

import asyncio
import builtins
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from psycopg.rows import TupleRow

from gateway.errors import GatewayError
from gateway.migrations import connect_postgres
from gateway.registry.postgres import describe
from gateway.values.moments import given_utc

T = TypeVar("T")
Connection = psycopg.AsyncConnection[TupleRow]


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time (a ``since`` without an offset, say) is refused
    with ``BAD_REQUEST``, its zone being a guess (:mod:`gateway.values.moments`).

    >>> from datetime import timedelta, timezone
    >>> utc(datetime(2026, 1, 2, 4, 4, tzinfo=timezone(timedelta(hours=1)))).isoformat()
    '2026-01-02T03:04:00+00:00'
    """
    return given_utc(moment, "a time")


def stamp(moment: datetime) -> str:
    """``moment`` as fixed-width UTC text, ordered as time is (SQLite's time columns).

    >>> stamp(datetime.fromisoformat("2026-11-23T23:00:00+01:00"))
    '2026-11-23T22:00:00.000000Z'
    """
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SqliteCalls:
    """Run blocking calls on one SQLite connection, one at a time, off the event loop."""

    def __init__(
        self, db: sqlite3.Connection, *, what: str, path: str, error: type[GatewayError]
    ) -> None:
        self.db = db
        self._label = f"SQLite {what} at {path}"
        self._error = error
        self._lock = threading.Lock()

    async def run(self, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)`` in a worker thread; a SQLite error becomes the store's error."""

        def locked() -> T:
            with self._lock:
                try:
                    return call(*args)
                except sqlite3.Error as exc:
                    raise self._error(f"{self._label}: {exc}") from exc

        return await asyncio.to_thread(locked)

    def transaction(self, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)`` inside BEGIN/COMMIT (rolled back if it raises); for use in
        :meth:`run`."""
        self.db.execute("BEGIN")
        try:
            result = call(*args)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return result

    async def close(self) -> None:
        await self.run(self.db.close)


class PostgresCalls:
    """Run calls on one PostgreSQL connection, one at a time, reconnecting once."""

    def __init__(self, conn: Connection, dsn: str, *, what: str, error: type[GatewayError]) -> None:
        self._conn = conn
        self._dsn = dsn
        self._what = what
        self._where = describe(dsn)
        self._error = error
        self._lock = asyncio.Lock()
        self._closed = False

    async def run(self, call: Callable[[Connection], Awaitable[T]]) -> T:
        """``call(connection)``; a psycopg error becomes the store's error."""
        async with self._lock:
            if self._closed:
                raise self._error(f"the {self._what} at {self._where} is closed")
            for attempt in (1, 2):
                if self._conn.closed or self._conn.broken:
                    # The server dropped us (restart, idle timeout): take a fresh connection.
                    await self._conn.close()
                    self._conn = await connect_postgres(
                        self._dsn, what=self._what, where=self._where, error=self._error
                    )
                try:
                    return await call(self._conn)
                except psycopg.OperationalError as exc:
                    # Every call is one statement; cut off by a dead connection it has
                    # almost surely not committed, and a rare duplicate row is a smaller
                    # harm than a lost one.
                    if attempt == 1 and self._conn.broken:
                        continue
                    raise self._error(f"PostgreSQL {self._what} at {self._where}: {exc}") from exc
                except psycopg.Error as exc:
                    raise self._error(f"PostgreSQL {self._what} at {self._where}: {exc}") from exc
            raise AssertionError("unreachable")

    async def select(self, sql: str, args: builtins.list[Any]) -> builtins.list[TupleRow]:
        """The rows of one statement."""

        async def select(conn: Connection) -> builtins.list[TupleRow]:
            return await (await conn.execute(sql, args)).fetchall()

        return await self.run(select)

    async def execute(self, sql: str, args: Any) -> int:
        """Run one statement; its row count."""

        async def execute(conn: Connection) -> int:
            return (await conn.execute(sql, args)).rowcount

        return await self.run(execute)

    async def close(self) -> None:
        async with self._lock:
            self._closed = True
            await self._conn.close()
