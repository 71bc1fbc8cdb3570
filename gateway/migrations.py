"""Schema migrations for the gateway's own tables (registry, usage), on SQLite and
PostgreSQL: an ordered list of ``(version, statements)`` applied once each, with the
version kept in a one-row table. A database newer than the code is refused.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

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
