#!/usr/bin/env python3
"""Overhead of the embedded DuckDB engine on small queries, next to bare DuckDB.

    .venv/bin/python bench/duckdb_engine.py [--runs 200]

Needs `demo/data` (`make demo-data`). For each statement, alternately:
- bare: one DuckDB connection with the same view over the same Parquet file, the query run
  on a fresh cursor and fetched, in the calling thread;
- engine: `DuckDBEngine.execute` from asyncio: the worker pool hop, DuckDB's own check of
  the statement, the deadline alarm, a fresh cursor, fetch of max_rows + 1.
- engine, new text: the same, the statement made new each run by a comment, so the
  engine's statement check (remembered per text) runs every time.
Prints the median and p99 of each and the milliseconds the engine adds (median of runs).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench.quantiles

from bench.quantiles import percentile  # noqa: E402
from gateway.federation.catalog import load_product_folders  # noqa: E402
from gateway.federation.engines import DuckDBEngine  # noqa: E402
from gateway.federation.engines._duckdb_sources import qualified  # noqa: E402
from gateway.federation.planner import plan  # noqa: E402

US_DAILY = "precipitation.us-precipitation.us_daily_precipitation"
STATEMENTS = {
    "SELECT 1": "SELECT 1 AS one",
    "10 rows of one station": (
        'SELECT observation_date, precipitation_in FROM "precipitation"."us-precipitation".'
        "\"us_daily_precipitation\" WHERE station_id = 'USW00094728' "
        "ORDER BY observation_date DESC LIMIT 10"
    ),
    "aggregate by station": (
        'SELECT station_id, sum(precipitation_in) AS inches FROM "precipitation".'
        '"us-precipitation"."us_daily_precipitation" GROUP BY station_id'
    ),
}


def bare_connection(view: str, path: Path, columns: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("CREATE SCHEMA mesh")
    selected = ", ".join(f'"{c}"' for c in columns)
    con.execute(f"CREATE VIEW {view} AS SELECT {selected} FROM read_parquet('{path}')")
    return con


async def main(runs: int) -> None:
    folders = sorted(p.parent for p in (ROOT / "demo" / "products").glob("*/product.yaml"))
    catalog = load_product_folders(folders, env={})
    table = catalog.get(US_DAILY)
    assert table is not None
    location = table.locations["duckdb"]
    engine = DuckDBEngine(catalog.tables(), root=ROOT)
    bare = bare_connection(
        qualified(location.parts),
        (ROOT / str(location.source["path"])).resolve(),
        [c.name for c in table.columns],
    )
    print(
        f"{'statement':<24} {'bare p50':>9} {'engine p50':>11} {'bare p99':>9} "
        f"{'engine p99':>11} {'added ms':>9} {'added ms, new text':>19}"
    )
    try:
        for label, sql in STATEMENTS.items():
            planned = plan(sql, catalog, "duckdb", max_rows=1000)
            bare_ms: list[float] = []
            engine_ms: list[float] = []
            fresh_ms: list[float] = []
            for i in range(runs + 10):
                start = time.perf_counter()
                cursor = bare.cursor()
                cursor.execute(planned.sql).fetchmany(1001)
                cursor.close()
                middle = time.perf_counter()
                await engine.execute(planned, timeout_s=30, max_rows=1000)
                end = time.perf_counter()
                fresh = replace(planned, sql=f"{planned.sql}\n-- run {i}")
                await engine.execute(fresh, timeout_s=30, max_rows=1000)
                if i >= 10:  # the first runs warm DuckDB's caches
                    bare_ms.append((middle - start) * 1000)
                    engine_ms.append((end - middle) * 1000)
                    fresh_ms.append((time.perf_counter() - end) * 1000)
            added = statistics.median(e - b for e, b in zip(engine_ms, bare_ms, strict=True))
            added_new = statistics.median(f - b for f, b in zip(fresh_ms, bare_ms, strict=True))
            print(
                f"{label:<24} {statistics.median(bare_ms):>9.3f} "
                f"{statistics.median(engine_ms):>11.3f} {percentile(bare_ms, 0.99):>9.3f} "
                f"{percentile(engine_ms, 0.99):>11.3f} {added:>9.3f} {added_new:>19.3f}"
            )
    finally:
        await engine.close()
        bare.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    asyncio.run(main(parser.parse_args().runs))
