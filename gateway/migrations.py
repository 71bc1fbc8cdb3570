"""Opening the gateway's own databases (registry, usage, audit) on SQLite and PostgreSQL,
and migrating their tables: an ordered list of ``(version, statements)`` applied once
each, with the version kept in a one-row table. A database newer than the code is refused.

Every SQLite connection has foreign keys on (SQLite's default is off, which makes an
``ON DELETE CASCADE`` do nothing). On PostgreSQL a store is served by a bounded pool of
connections, opened once its tables are migrated.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import AsyncConnectionPool

from gateway.errors import GatewayError

Migrations = Sequence[tuple[int, Sequence[str]]]


def _too_new(
    error: type[GatewayError], what: str, where: str, current: int, latest: int
) -> GatewayError:
    return error(
        f"the {what} at {where} has schema version {current}, newer than this "
        f"gateway's {latest}; upgrade meshgate"
    )


def migrate_sqlite(
    db: sqlite3.Connection,
    migrations: Migrations,
    *,
    table: str,
    what: str,
    where: str,
    error: type[GatewayError],
) -> None:
    """Apply the pending ``migrations`` in one immediate transaction.

    ``table`` is a constant of the caller (``registry_schema``), never user input.
    """
    latest = migrations[-1][0]
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(f"CREATE TABLE IF NOT EXISTS {table} (version INTEGER NOT NULL)")
        current = db.execute(f"SELECT coalesce(max(version), 0) FROM {table}").fetchone()[0]
        if current > latest:
            raise _too_new(error, what, where, current, latest)
        for version, statements in migrations:
            if version > current:
                for statement in statements:
                    db.execute(statement)
                db.execute(f"DELETE FROM {table}")
                db.execute(f"INSERT INTO {table} (version) VALUES (?)", (version,))
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


async def migrate_postgres(
    conn: Any,
    migrations: Migrations,
    *,
    table: str,
    what: str,
    where: str,
    error: type[GatewayError],
    lock_key: int,
) -> None:
    """Apply the pending ``migrations`` under an advisory lock, so two gateways starting
    together migrate once. ``conn`` is a psycopg ``AsyncConnection``."""
    latest = migrations[-1][0]
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
        await conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (version integer NOT NULL)")
        cursor = await conn.execute(f"SELECT coalesce(max(version), 0) AS v FROM {table}")
        row = await cursor.fetchone()
        current = 0 if row is None else int(row["v"] if isinstance(row, Mapping) else row[0])
        if current > latest:
            raise _too_new(error, what, where, current, latest)
        for version, statements in migrations:
            if version > current:
                for statement in statements:
                    await conn.execute(statement)
                await conn.execute(f"DELETE FROM {table}")
                await conn.execute(f"INSERT INTO {table} (version) VALUES (%s)", (version,))


def open_sqlite(
    path: str,
    migrations: Migrations,
    *,
    table: str,
    what: str,
    error: type[GatewayError],
    pragmas: Sequence[str],
    row_factory: Any = None,
) -> sqlite3.Connection:
    """A migrated autocommit connection to the SQLite file at ``path`` (or ``:memory:``),
    its folder created if needed; any failure is ``error`` naming ``what`` and ``path``."""
    try:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are opened explicitly where they matter.
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except (sqlite3.Error, OSError) as exc:
        raise error(f"cannot open the SQLite {what} at {path}: {exc}") from exc
    try:
        if row_factory is not None:
            db.row_factory = row_factory
        # Per connection, and only outside a transaction: before anything else runs.
        db.execute("PRAGMA foreign_keys=ON")
        for pragma in pragmas:
            db.execute(f"PRAGMA {pragma}")
        migrate_sqlite(db, migrations, table=table, what=what, where=path, error=error)
    except sqlite3.Error as exc:
        db.close()
        raise error(f"cannot open the SQLite {what} at {path}: {exc}") from exc
    except BaseException:
        db.close()
        raise
    return db


CONNECT_TIMEOUT = 10
"""Seconds to open one PostgreSQL connection; also how long a call waits for a free one."""


def describe(dsn: str) -> str:
    """``host:port/dbname`` of ``dsn``, never its password, for messages.

    >>> describe("postgresql://mesh:secret@127.0.0.1:55432/registry")
    '127.0.0.1:55432/registry'
    """
    try:
        info = conninfo_to_dict(dsn)
    except psycopg.Error:
        return "<unparsable PostgreSQL DSN>"
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def _options(what: str, row_factory: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "autocommit": True,
        "connect_timeout": CONNECT_TIMEOUT,
        # pg_stat_activity tells the gateway's stores apart (an operator counting them).
        "application_name": f"meshgate {what}",
    }
    if row_factory is not None:
        options["row_factory"] = row_factory
    return options


async def connect_postgres(
    dsn: str, *, what: str, where: str, error: type[GatewayError], row_factory: Any = None
) -> Any:
    """An autocommit ``psycopg.AsyncConnection``; a failure is ``error`` naming ``where``."""
    options = _options(what, row_factory)
    try:
        return await psycopg.AsyncConnection.connect(dsn, **options)
    except psycopg.Error as exc:
        raise error(f"cannot connect to the {what} at {where}: {exc}") from exc


async def open_postgres(
    dsn: str,
    migrations: Migrations,
    *,
    table: str,
    what: str,
    where: str,
    error: type[GatewayError],
    lock_key: int,
    row_factory: Any = None,
) -> Any:
    """A connection to ``dsn`` whose tables are brought up to date."""
    conn = await connect_postgres(dsn, what=what, where=where, error=error, row_factory=row_factory)
    try:
        await migrate_postgres(
            conn, migrations, table=table, what=what, where=where, error=error, lock_key=lock_key
        )
    except psycopg.Error as exc:
        await conn.close()
        raise error(f"cannot open the {what} at {where}: {exc}") from exc
    except BaseException:
        await conn.close()
        raise
    return conn


async def open_postgres_pool(
    dsn: str,
    migrations: Migrations,
    *,
    table: str,
    what: str,
    error: type[GatewayError],
    lock_key: int,
    size: int,
    row_factory: Any = None,
) -> AsyncConnectionPool[Any]:
    """A pool of at most ``size`` connections to ``dsn``, once its tables are up to date.

    The migration runs on a connection of its own, so an unreachable server fails here at
    once (``cannot connect``) instead of after the pool's retries. Each connection handed
    out is checked first: one the server dropped (restart, idle timeout) is replaced.
    """
    if size < 1:
        raise error(f"the {what} needs a pool of at least 1 connection, got {size}")
    where = describe(dsn)
    conn = await open_postgres(
        dsn, migrations, table=table, what=what, where=where, error=error, lock_key=lock_key,
        row_factory=row_factory,
    )  # fmt: skip
    await conn.close()
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        dsn,
        kwargs=_options(what, row_factory),
        min_size=1,
        max_size=size,
        open=False,
        check=AsyncConnectionPool.check_connection,
        timeout=CONNECT_TIMEOUT,
        name=what,
    )
    await pool.open()
    return pool
