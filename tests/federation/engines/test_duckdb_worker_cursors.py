"""Each DuckDB worker keeps one cursor for its queries, one at a time: an interrupt meant
for a query that has finished (a deadline that fired late, a caller who left as it
ended) never stops the worker's next query on the same cursor."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from gateway.federation.engines._running_query import RunningQuery
from gateway.federation.engines.duckdb_engine import DuckDBEngine

SLOW = "SELECT count(*) FROM range(3000) a, range(3000) b WHERE (a.range * b.range) % 7 = 1"


def test_an_interrupt_after_its_query_ended_does_not_stop_the_next() -> None:
    with duckdb.connect() as con:
        cursor = con.cursor()
        ended = RunningQuery(cursor)
        cursor.execute("SELECT 1").fetchall()
        ended.finish()
        got: list[object] = []
        nxt = threading.Thread(target=lambda: got.append(cursor.execute(SLOW).fetchall()))
        nxt.start()
        time.sleep(0.05)  # the next query runs
        ended.interrupt()  # late: for the query that ended
        nxt.join(60)
        assert got and got[0] != []


def test_an_interrupt_before_its_query_ended_stops_it() -> None:
    with duckdb.connect() as con:
        cursor = con.cursor()
        running = RunningQuery(cursor)
        failed: list[BaseException] = []

        def run() -> None:
            try:
                cursor.execute(SLOW).fetchall()
            except duckdb.InterruptException as exc:
                failed.append(exc)

        worker = threading.Thread(target=run)
        worker.start()
        time.sleep(0.05)
        running.interrupt()
        worker.join(60)
        assert failed


async def test_a_worker_answers_on_its_one_cursor_and_closing_closes_them(tmp_path: Path) -> None:
    engine = DuckDBEngine([], root=tmp_path, workers=1)
    try:
        for n in range(3):
            result = await engine.run_sql(f"SELECT {n} AS n", timeout_s=5, max_rows=1)
            assert [tuple(r) for r in result.rows] == [(n,)]
        assert len(engine._cursors) == 1
    finally:
        await engine.close()
    (cursor,) = engine._cursors.values()
    with pytest.raises(duckdb.ConnectionException):  # closed with the engine
        cursor.execute("SELECT 1")
