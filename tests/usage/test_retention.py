"""Usage retention: queries older than MESHGATE_USAGE_RETENTION_DAYS are purged, with their
table reads, when the gateway starts and then on a timer; 0 keeps them all. On SQLite
and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import psycopg

from gateway.retention import Retention
from gateway.services import close_services, open_services
from gateway.settings import Settings
from gateway.usage import UsageStore, open_usage
from tests.usage.conftest import ASSETS, JOIN, entry

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=40)
RECENT = NOW - timedelta(days=5)


def _count(url: str, table: str) -> int:
    """Rows of ``table``, read past the store (what the database really holds)."""
    sql = f"SELECT count(*) FROM {table}"
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///") :]) as db:
            return int(db.execute(sql).fetchone()[0])
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
        assert row is not None
        return int(row[0])


async def _seed(url: str) -> None:
    """An old join (two table reads) and a recent one-table query (one read)."""
    store = await open_usage(url)
    try:
        await store.record(entry(JOIN, at=OLD, rows=3))
        await store.record(entry(ASSETS, at=RECENT, rows=1))
    finally:
        await store.close()


async def _times(store: UsageStore) -> list[datetime]:
    return [q.at for q in await store.log()]


async def test_purge_deletes_old_queries_and_their_table_reads(usage_url: str) -> None:
    await _seed(usage_url)
    assert (_count(usage_url, "usage_queries"), _count(usage_url, "usage_reads")) == (2, 3)
    store = await open_usage(usage_url)
    try:
        assert await store.purge(NOW - timedelta(days=30)) == 1
        assert await _times(store) == [RECENT]
        assert await store.purge(NOW - timedelta(days=30)) == 0
    finally:
        await store.close()
    # The join's two reads went with it: on SQLite only because foreign keys are on.
    assert (_count(usage_url, "usage_queries"), _count(usage_url, "usage_reads")) == (1, 1)


async def test_the_gateway_purges_old_queries_when_it_starts(usage_url: str) -> None:
    await _seed(usage_url)
    services = await open_services(Settings(registry_url=usage_url, usage_retention_days=30))
    try:
        assert await _times(services.usage) == [RECENT]
        assert _count(usage_url, "usage_reads") == 1
    finally:
        await close_services(services)


async def test_the_default_retention_keeps_a_month_old_query(usage_url: str) -> None:
    await _seed(usage_url)
    services = await open_services(Settings(registry_url=usage_url))
    try:
        assert await _times(services.usage) == [RECENT, OLD]
    finally:
        await close_services(services)


async def test_a_retention_of_zero_keeps_everything(usage_url: str) -> None:
    await _seed(usage_url)
    services = await open_services(
        Settings(registry_url=usage_url, usage_retention_days=0, usage_purge_interval_seconds=0.05)
    )
    try:
        # No timer at all (a sleep here proved nothing: a timer's rounds delete nothing
        # at 0 days either), and nothing deleted.
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "usage-purge"]
        assert await _times(services.usage) == [RECENT, OLD]
        assert await services.usage_retention.purge() == 0
    finally:
        await close_services(services)


async def test_old_queries_are_purged_while_the_gateway_runs(usage_url: str) -> None:
    store = await open_usage(usage_url)
    retention = Retention("usage", store.purge, days=30, interval_seconds=0.05)
    try:
        await retention.start()
        # Recorded after the start (a clock set back, a replayed record): the timer sees it.
        await store.record(entry(JOIN, at=OLD))
        await store.record(entry(ASSETS, at=RECENT))
        deadline = time.monotonic() + 10
        while await _times(store) != [RECENT]:
            assert time.monotonic() < deadline, await _times(store)
            await asyncio.sleep(0.05)
    finally:
        await retention.close()
        await store.close()


async def test_a_failing_round_does_not_stop_the_timer() -> None:
    """A database that is down for a round: logged, and the next round purges."""
    calls: list[datetime] = []

    async def purge(older_than: datetime) -> int:
        calls.append(older_than)
        if len(calls) == 2:
            raise OSError("the database is down for this round")
        return 0

    retention = Retention("usage", purge, days=1, interval_seconds=0.02)
    try:
        await retention.start()
        deadline = time.monotonic() + 10
        while len(calls) < 4:
            assert time.monotonic() < deadline, calls
            await asyncio.sleep(0.02)
    finally:
        await retention.close()
    assert all(NOW - timedelta(days=2) < c < datetime.now(UTC) for c in calls)
