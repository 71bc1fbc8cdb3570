"""SQLite enforces foreign keys only when each connection asks: every connection the
gateway opens does, so ``ON DELETE CASCADE`` deletes and a dangling reference is refused."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.errors import GatewayError
from gateway.migrations import open_sqlite
from gateway.registry import open_registry
from gateway.usage import open_usage
from tests.usage.conftest import JOIN, entry

MIGRATIONS = (
    (
        1,
        (
            "CREATE TABLE parent (id INTEGER PRIMARY KEY)",
            "CREATE TABLE child (parent_id INTEGER NOT NULL "
            "REFERENCES parent (id) ON DELETE CASCADE)",
        ),
    ),
)


class _Error(GatewayError):
    code = "TEST_ERROR"


def _open(path: Path) -> sqlite3.Connection:
    return open_sqlite(
        str(path), MIGRATIONS, table="t_schema", what="test store", error=_Error, pragmas=()
    )


def test_a_cascade_deletes_the_children(tmp_path: Path) -> None:
    db = _open(tmp_path / "t.db")
    try:
        db.execute("INSERT INTO parent (id) VALUES (1), (2)")
        db.execute("INSERT INTO child (parent_id) VALUES (1), (1), (2)")
        db.execute("DELETE FROM parent WHERE id = 1")
        assert db.execute("SELECT parent_id FROM child").fetchall() == [(2,)]
    finally:
        db.close()


def test_a_child_of_no_parent_is_refused(tmp_path: Path) -> None:
    db = _open(tmp_path / "t.db")
    try:
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            db.execute("INSERT INTO child (parent_id) VALUES (42)")
    finally:
        db.close()


async def test_the_usage_store_cascades_on_its_own_connection(tmp_path: Path) -> None:
    """The usage tables, written and purged through the store, with the registry's
    connection open on the same file (as in a running gateway)."""
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = await open_registry(url)
    usage = await open_usage(url)
    try:
        await usage.record(entry(JOIN, at=datetime.now(UTC) - timedelta(days=3)))
        assert await usage.purge(datetime.now(UTC)) == 1
    finally:
        await usage.close()
        await registry.close()
    with sqlite3.connect(tmp_path / "registry.db") as db:
        assert db.execute("SELECT count(*) FROM usage_reads").fetchone() == (0,)
