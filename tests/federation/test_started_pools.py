"""Every thread pool of the federation has all its threads running once it is made, so
no request on the event loop waits in ``Thread.start`` for a new worker to be scheduled
(measured: up to 65 ms per start on a busy machine, in tests/federation/steady/test_swap.py)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

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
