"""The PostgreSQL stores serve calls from a bounded pool: a slow call does not hold up the
others, the pool never grows past MESHGATE_STORE_POOL_SIZE, and close() closes it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from gateway.audit import open_audit_store
from gateway.registry import open_registry
from gateway.stores import PostgresCalls
from gateway.usage import UsageError, open_usage
from gateway.usage.postgres import MIGRATIONS as USAGE_MIGRATIONS
from tests.registry.test_store import MESH
from tests.usage.conftest import JOIN, entry

pytestmark = pytest.mark.services

SLEEP = 0.6


def _backends(dsn: str, application: str) -> int:
    """Connections the server holds open to this test's database for ``application``."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = %s",
            (application,),
        ).fetchone()
        assert row is not None
        return int(row[0])


def _lock_waits(dsn: str, application: str) -> int:
    """Backends of ``application`` the server shows waiting for a lock."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = %s AND wait_event_type = 'Lock'",
            (application,),
        ).fetchone()
        assert row is not None
        return int(row[0])


async def _until(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Whether ``check()`` holds within ``seconds`` (a backend exits a moment after its
    client hung up)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def _open_usage_calls(dsn: str, size: int) -> PostgresCalls:
    return await PostgresCalls.open(
        dsn, USAGE_MIGRATIONS, table="usage_schema", what="usage store", error=UsageError,
        lock_key=0x7573616765, pool_size=size,
    )  # fmt: skip


async def _sleep_together(calls: PostgresCalls, n: int) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(calls.select("SELECT pg_sleep(%s)", [SLEEP]) for _ in range(n)))
    return time.perf_counter() - started


async def test_slow_calls_overlap(fresh_postgres_dsn: str) -> None:
    calls = await _open_usage_calls(fresh_postgres_dsn, 4)
    try:
        elapsed = await _sleep_together(calls, 4)
        # One after another would take 4 x 0.6 s = 2.4 s; together about 0.6 s.
        assert elapsed < 2 * SLEEP, f"4 calls of {SLEEP} s took {elapsed:.2f} s"
        assert _backends(fresh_postgres_dsn, "meshgate usage store") == 4
    finally:
        await calls.close()


async def test_the_pool_stays_within_its_size(fresh_postgres_dsn: str) -> None:
    calls = await _open_usage_calls(fresh_postgres_dsn, 2)
    try:
        elapsed = await _sleep_together(calls, 4)
        assert elapsed >= 2 * SLEEP * 0.95, "4 calls on 2 connections take two rounds"
        assert _backends(fresh_postgres_dsn, "meshgate usage store") <= 2
    finally:
        await calls.close()


@pytest.mark.parametrize(
    ("opener", "application"),
    [
        (open_registry, "meshgate registry"),
        (open_usage, "meshgate usage store"),
        (open_audit_store, "meshgate audit store"),
    ],
    ids=["registry", "usage", "audit"],
)
async def test_close_closes_the_pool(
    fresh_postgres_dsn: str, opener: Callable[..., Any], application: str
) -> None:
    store = await opener(fresh_postgres_dsn, pool_size=3)
    assert await _until(lambda: _backends(fresh_postgres_dsn, application) >= 1)
    await store.close()
    assert await _until(lambda: _backends(fresh_postgres_dsn, application) == 0)
    await store.close()  # closing twice is harmless


async def test_a_closed_store_refuses_calls_with_its_code(fresh_postgres_dsn: str) -> None:
    store = await open_usage(fresh_postgres_dsn)
    await store.close()
    with pytest.raises(UsageError, match="closed"):
        await store.record(entry(JOIN))


async def test_a_write_waiting_on_a_lock_does_not_hold_up_reads(fresh_postgres_dsn: str) -> None:
    """Another gateway holds a product's row (a long transaction): re-registering that
    product waits for it, listing the registry does not."""
    store = await open_registry(fresh_postgres_dsn)
    blocker = await psycopg.AsyncConnection.connect(fresh_postgres_dsn)
    try:
        await store.upsert(MESH[0])
        await store.upsert(MESH[1])
        await blocker.execute("SELECT id FROM products WHERE id = %s FOR UPDATE", (MESH[0].id,))
        write = asyncio.create_task(store.upsert(MESH[0]))
        # The server itself says the write is blocked on the row lock (not merely slow).
        assert await _until(lambda: _lock_waits(fresh_postgres_dsn, "meshgate registry") == 1)
        assert not write.done(), "the write waits for the other transaction"
        assert await asyncio.wait_for(store.count(), 5) == 2
        assert await asyncio.wait_for(store.get(MESH[1].id), 5) == MESH[1]
        await blocker.rollback()
        assert await asyncio.wait_for(write, 10) == MESH[0]
    finally:
        await blocker.close()
        await store.close()
