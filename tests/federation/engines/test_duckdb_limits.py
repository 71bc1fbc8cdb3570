"""Per-query timeout, memory limit, cancellation and the bounded pool of the DuckDB engine."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import duckdb
import pytest

from gateway.errors import SqlMemoryLimit, SqlTimeout
from gateway.federation.catalog import StaticCatalog
from gateway.federation.engines import DuckDBEngine
from tests.fixtures.waiting import until

from .conftest import plan_for

# Ten billion pairs: minutes of work, interrupted long before.
SLOW_SQL = (
    "SELECT count(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b "
    "WHERE a.generate_series + b.generate_series = 7"
)


async def test_timeout_interrupts_a_slow_query(engine: DuckDBEngine) -> None:
    started = time.perf_counter()
    with pytest.raises(SqlTimeout) as caught:
        await engine.run_sql(SLOW_SQL, timeout_s=0.3, max_rows=1)
    took = time.perf_counter() - started
    assert 0.3 <= took < 2.0
    assert caught.value.code == "SQL_TIMEOUT"
    assert caught.value.details["timeout_s"] == 0.3
    # The database and the worker are fine afterwards.
    assert (await engine.run_sql("SELECT 1", timeout_s=5, max_rows=1)).rows == [(1,)]


async def test_timeout_interrupts_a_slow_join_of_views(
    engine: DuckDBEngine, file_catalog: StaticCatalog
) -> None:
    plan = plan_for(
        file_catalog,
        "SELECT count(*) FROM {us_daily_precipitation} a, {us_daily_precipitation} b, "
        "{us_daily_precipitation} c WHERE a.precipitation_in + b.snowfall_in < c.snowfall_in - 99",
        "precipitation.us-precipitation.us_daily_precipitation",
    )
    started = time.perf_counter()
    with pytest.raises(SqlTimeout):
        await engine.execute(plan, timeout_s=0.5, max_rows=1)
    assert time.perf_counter() - started < 2.5


async def test_memory_limit_fails_the_query_cleanly(
    file_catalog: StaticCatalog, demo_root: Path
) -> None:
    engine = DuckDBEngine(file_catalog.tables(), root=demo_root, memory_limit="64MB")
    try:
        with pytest.raises(SqlMemoryLimit, match="Out of Memory") as caught:
            await engine.run_sql(
                "SELECT string_agg(range::VARCHAR, ',') FROM range(30000000)",
                timeout_s=60,
                max_rows=1,
            )
        assert caught.value.code == "SQL_MEMORY_LIMIT"
        assert "\n" not in caught.value.message
        found = await engine.run_sql("SELECT count(*) FROM range(1000)", timeout_s=5, max_rows=1)
        assert found.rows == [(1000,)]
    finally:
        await engine.close()


async def test_cancelled_caller_interrupts_its_query(engine: DuckDBEngine) -> None:
    task = asyncio.create_task(engine.run_sql(SLOW_SQL, timeout_s=600, max_rows=1))
    await until(lambda: engine.running == 1, "the slow query to run")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Interrupted, not left to run for its 600 s: the worker is freed at once.
    await until(lambda: engine.running == 0, "the interrupted query to end", timeout=5)
    started = time.perf_counter()
    quick = [engine.run_sql("SELECT 1", timeout_s=5, max_rows=1) for _ in range(4)]
    assert [r.rows for r in await asyncio.gather(*quick)] == [[(1,)]] * 4
    assert time.perf_counter() - started < 2.0


async def test_a_caller_gone_just_before_duckdb_starts_the_query_still_stops_it(
    engine: DuckDBEngine,
) -> None:
    # The caller leaves after the worker looked at its flag but before DuckDB started
    # the query (a worker preempted there: CI saw the query run on past 5 s). Held here
    # on purpose: the first interrupt is forgotten, the ones sent again stop the query.
    looked, go = threading.Event(), threading.Event()

    def work(cursor: duckdb.DuckDBPyConnection, sql: str, started: float) -> object:
        looked.set()
        go.wait(10)
        return cursor.execute(sql).fetchall()

    task = asyncio.create_task(engine._submit(work, SLOW_SQL, 600))
    await until(looked.is_set, "the worker to look at the flag")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.1)  # the first interrupt is long gone when the query starts
    go.set()
    await until(lambda: engine.running == 0, "the interrupted query to end", timeout=5)
    assert (await engine.run_sql("SELECT 1", timeout_s=5, max_rows=1)).rows == [(1,)]


def test_duckdb_forgets_an_interrupt_that_comes_before_the_query() -> None:
    # Why the engine keeps its own flag: a cursor interrupted before it runs anything
    # runs its next query in full.
    import duckdb

    cursor = duckdb.connect().cursor()
    cursor.interrupt()
    assert cursor.execute("SELECT 42").fetchall() == [(42,)]


async def test_a_caller_gone_before_its_query_starts_does_not_run_it(
    engine: DuckDBEngine,
) -> None:
    # The caller left after a worker took the query but before the query started (a
    # window too short to hit on purpose): the worker sees the flag and runs nothing.
    ran: list[str] = []

    def work(cursor: object, sql: str, started: float) -> None:
        ran.append(sql)

    holder = {"cancelled": True}
    with pytest.raises(SqlTimeout):
        await asyncio.to_thread(engine._guarded, work, SLOW_SQL, time.monotonic() + 5, 5.0, holder)
    assert ran == []
    assert engine.running == 0
    assert (await engine.run_sql("SELECT 1", timeout_s=5, max_rows=1)).rows == [(1,)]


async def test_a_slow_query_does_not_hold_up_the_others(engine: DuckDBEngine) -> None:
    slow = asyncio.create_task(engine.run_sql(SLOW_SQL, timeout_s=3, max_rows=1))
    await until(lambda: engine.running == 1, "the slow query to run")
    started = time.perf_counter()
    fast = await engine.run_sql("SELECT 2", timeout_s=5, max_rows=1)
    assert fast.rows == [(2,)]
    assert time.perf_counter() - started < 1.5
    assert not slow.done()  # the fast one did not wait for the slow one to end
    with pytest.raises(SqlTimeout):
        await slow


async def test_time_spent_waiting_for_a_worker_counts(
    file_catalog: StaticCatalog, demo_root: Path
) -> None:
    engine = DuckDBEngine([], root=demo_root, workers=1)
    try:
        slow_started = time.perf_counter()
        slow = asyncio.create_task(engine.run_sql(SLOW_SQL, timeout_s=3, max_rows=1))
        await until(lambda: engine.running == 1, "the slow query to take the only worker")
        # Queued behind the slow one for longer than its own limit: never starts, and
        # its caller hears so at its own deadline, not when the worker frees up.
        started = time.perf_counter()
        with pytest.raises(SqlTimeout):
            await engine.run_sql("SELECT 1", timeout_s=0.2, max_rows=1)
        assert time.perf_counter() - started >= 0.2
        assert not slow.done() and engine.running == 1  # the worker is still taken
        assert time.perf_counter() - slow_started < 2.5  # well before the slow one ends
        with pytest.raises(SqlTimeout):
            await slow
    finally:
        await engine.close()


def test_a_stream_interrupted_between_batches_is_a_timeout(
    engine: DuckDBEngine, file_catalog: StaticCatalog
) -> None:
    # Billions of rows: the first batches come at once, then the timer fires while the
    # Arrow reader is mid-way (pyarrow reports that interrupt as an OSError).
    plan = plan_for(
        file_catalog,
        "SELECT a.station_id FROM {us_daily_precipitation} a, {us_daily_precipitation} b, "
        "{us_daily_precipitation} c",
        "precipitation.us-precipitation.us_daily_precipitation",
    )
    batches = 0
    with pytest.raises(SqlTimeout):
        for _ in engine.stream_batches(plan, 10_000, timeout_s=0.5):
            batches += 1
    assert batches > 0  # it was cut while streaming, not before the first batch
