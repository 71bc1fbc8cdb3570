"""What the gateway's own stores (registry, usage, audit) share: how calls reach each
backend, foreign errors translated once, and how times are kept.

SQLite's stdlib driver blocks, so :class:`SqliteCalls` runs each call in a worker thread
behind a lock (SQLite has one writer anyway). Stores sharing one file (usage and audit
beside the registry) also share one lock for their transactions: two writers at once
would otherwise meet in SQLite, whose busy handler sleeps a millisecond or more before it
looks again (each SQL query writes both: its answer waited 1 to 2 ms for that).
:class:`PostgresCalls` serves calls from a bounded pool of psycopg connections
(``psycopg_pool``), so one slow call does not hold up the others; a connection found
broken (server restart, idle timeout) is replaced. Times are kept in UTC; on SQLite as
fixed-width text, so that comparing text orders them.
"""

from __future__ import annotations

import asyncio
import builtins
import os
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from gateway.errors import GatewayError
from gateway.migrations import Migrations, describe, open_postgres_pool, open_sqlite
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


_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_LOCK = threading.Lock()


def _writer_of(path: str) -> threading.Lock:
    """The lock of the transactions on the file at ``path`` (a private one for an
    in-memory database, which no other connection shares)."""
    if path in ("", ":memory:") or path.startswith("file::memory:"):
        return threading.Lock()
    key = os.path.realpath(path)
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(key, threading.Lock())


class SqliteCalls:
    """Run blocking calls on one SQLite connection, one at a time, off the event loop."""

    def __init__(
        self, db: sqlite3.Connection, *, what: str, path: str, error: type[GatewayError]
    ) -> None:
        self.db = db
        self._label = f"SQLite {what} at {path}"
        self._error = error
        self._lock = threading.Lock()
        self._writer = _writer_of(path)

    @classmethod
    async def open(
        cls,
        path: str,
        migrations: Migrations,
        *,
        table: str,
        what: str,
        error: type[GatewayError],
    ) -> SqliteCalls:
        """Calls on the SQLite file at ``path``, migrated (``table`` keeps the schema's
        version), in WAL mode with a busy timeout: the stores beside the registry's."""

        def opened() -> SqliteCalls:
            db = open_sqlite(
                path,
                migrations,
                table=table,
                what=what,
                error=error,
                pragmas=("journal_mode=WAL", "busy_timeout=5000"),
            )
            return cls(db, what=what, path=path, error=error)

        return await asyncio.to_thread(opened)

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
        """``call(*args)`` inside BEGIN/COMMIT (rolled back if it raises), one at a time
        among the stores of the same file; for use in :meth:`run`."""
        with self._writer:
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
    """Run calls on a bounded pool of PostgreSQL connections, several at once.

    A call takes a connection for its statement (or transaction) and gives it back; calls
    beyond the pool's size wait for a free one, up to the connect timeout. A connection
    that dies under a call is dropped by the pool and the call tried once more on another.
    """

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        *,
        what: str,
        where: str,
        error: type[GatewayError],
        passthrough: tuple[type[Exception], ...] = (),
    ) -> None:
        self.pool = pool
        self._what = what
        self._where = where
        self._error = error
        self._passthrough = passthrough
        self._closed = False

    @classmethod
    async def open(
        cls,
        dsn: str,
        migrations: Migrations,
        *,
        table: str,
        what: str,
        error: type[GatewayError],
        lock_key: int,
        pool_size: int,
        row_factory: Any = None,
        passthrough: tuple[type[Exception], ...] = (),
    ) -> PostgresCalls:
        """Migrate the tables at ``dsn``, then serve calls from a pool of ``pool_size``."""
        pool = await open_postgres_pool(
            dsn, migrations, table=table, what=what, error=error, lock_key=lock_key,
            size=pool_size, row_factory=row_factory,
        )  # fmt: skip
        return cls(pool, what=what, where=describe(dsn), error=error, passthrough=passthrough)

    async def run(self, call: Callable[[Any], Awaitable[T]]) -> T:
        """``call(connection)``; a psycopg error becomes the store's error."""
        if self._closed:
            raise self._error(f"the {self._what} at {self._where} is closed")
        for attempt in (1, 2):
            used: Any = None
            try:
                async with self.pool.connection() as conn:
                    used = conn
                    return await call(conn)
            except self._passthrough:
                raise
            except psycopg.OperationalError as exc:
                # Every call is one statement or one transaction: cut off by a dead
                # connection it has not committed (a rare duplicate row is a smaller harm
                # than a lost one), so it is tried once more on a live one.
                if attempt == 1 and used is not None and used.broken and not self._closed:
                    continue
                raise self._failed(exc) from exc
            except psycopg.Error as exc:
                raise self._failed(exc) from exc
        raise AssertionError("unreachable")

    async def select(self, sql: str, args: builtins.list[Any]) -> builtins.list[Any]:
        """The rows of one statement."""

        async def select(conn: Connection) -> builtins.list[Any]:
            return await (await conn.execute(sql, args)).fetchall()

        return await self.run(select)

    async def execute(self, sql: str, args: Any) -> int:
        """Run one statement; its row count."""

        async def execute(conn: Connection) -> int:
            return (await conn.execute(sql, args)).rowcount

        return await self.run(execute)

    async def close(self) -> None:
        """Refuse new calls and close the pool (connections in use close when given back)."""
        self._closed = True
        await self.pool.close()

    def _failed(self, exc: psycopg.Error) -> GatewayError:
        if self._closed:
            return self._error(f"the {self._what} at {self._where} is closed")
        return self._error(f"PostgreSQL {self._what} at {self._where}: {exc}")
