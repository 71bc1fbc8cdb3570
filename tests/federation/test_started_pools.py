"""Every thread pool of the federation has all its threads running once it is made, so
no request on the event loop waits in ``Thread.start`` for a new worker to be scheduled
(measured: up to 65 ms per start on a busy machine, in tests/federation/steady/test_swap.py)."""

from __future__ import annotations

import asyncio
import concurrent.futures.thread
import threading
import time
from pathlib import Path

import pytest

from gateway.federation.engines.duckdb_engine import DuckDBEngine
from gateway.federation.engines.trino_engine import TrinoEngine, TrinoSettings
from gateway.federation.planner import PlannerLimits
from gateway.federation.planning import Planner
from gateway.federation.started_pool import started_pool
from gateway.federation.stream_workers import StreamWorkers


def running(prefix: str) -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith(f"{prefix}_"))


def test_a_started_pool_runs_all_its_threads_and_works() -> None:
    pool = started_pool(3, "probe")
    try:
        assert running("probe") == 3
        assert pool.submit(lambda: 41 + 1).result(timeout=5) == 42
    finally:
        pool.shutdown()
    assert running("probe") == 0


def test_a_submit_never_waits_for_another_pool_starting_a_thread() -> None:
    """A ``ThreadPoolExecutor`` starts its threads holding a lock that every such pool
    takes in ``submit`` (``concurrent.futures.thread._global_shutdown_lock``); an engine
    built off the loop starting its pool held it while the loop's submits waited (128 ms
    in the swap test). Held here by hand for 0.5 s, as a slow ``Thread.start`` would."""
    pool = started_pool(2, "probe")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with concurrent.futures.thread._global_shutdown_lock:  # type: ignore[attr-defined]
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(5)
        started = time.perf_counter()
        assert pool.submit(lambda: 42).result(timeout=5) == 42
        assert time.perf_counter() - started < 0.25
    finally:
        release.set()
        holder.join()
        pool.shutdown()


def test_a_shut_pool_cancels_what_is_queued_and_refuses_more() -> None:
    pool = started_pool(1, "probe")
    gate = threading.Event()
    first = pool.submit(gate.wait, 5)
    deadline = time.monotonic() + 5
    while not first.running() and time.monotonic() < deadline:
        time.sleep(0.001)
    queued = [pool.submit(lambda: 1) for _ in range(3)]
    pool.shutdown(wait=False, cancel_futures=True)
    gate.set()
    assert first.result(timeout=5) is True  # the running one finishes
    assert all(f.cancelled() for f in queued)
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(lambda: 1)
    pool.shutdown()
    assert running("probe") == 0


def test_a_failing_job_hands_its_error_to_the_caller_and_the_pool_goes_on() -> None:
    pool = started_pool(1, "probe")
    try:
        with pytest.raises(ZeroDivisionError):
            pool.submit(lambda: 1 / 0).result(timeout=5)
        assert pool.submit(lambda: 2).result(timeout=5) == 2
    finally:
        pool.shutdown()


def test_the_duckdb_engines_workers_run_before_its_first_query(tmp_path: Path) -> None:
    before = running("duckdb")
    engine = DuckDBEngine([], root=tmp_path, workers=3)
    try:
        assert running("duckdb") == before + 3
    finally:
        asyncio.run(engine.close())


async def test_the_planner_stream_and_trino_pools_run_before_any_use() -> None:
    prefixes = ("planner", "duckdb-stream", "trino")
    before = {prefix: running(prefix) for prefix in prefixes}
    planner = Planner(PlannerLimits(), workers=2, timeout_s=5)
    streams = StreamWorkers(2)
    trino = TrinoEngine(TrinoSettings(url="http://127.0.0.1:9", max_workers=2))
    try:
        assert {prefix: running(prefix) - before[prefix] for prefix in prefixes} == {
            prefix: 2 for prefix in prefixes
        }
    finally:
        planner.close()
        await streams.close()
        await trino.close()
