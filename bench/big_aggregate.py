#!/usr/bin/env python3
"""An aggregate over a 10-million-row table through a real gateway process: the answer
comes back while the gateway's resident memory barely moves (nothing is copied into it),
next to the same SQL on a bare DuckDB.

    .venv/bin/python bench/big_aggregate.py [--scale 640] [--runs 9]

Generates the demo at ``--scale`` into ``.run/bigdemo/scale-<N>/demo/data`` once (reused
while its ``.generated`` marker says the same scale; scale 640 gives 43 stations x 233,600
days = 10,044,800 rows of global daily precipitation, ~65M rows in all, several minutes).
Then serves the global-precipitation product (in this process) and starts ``meshgate
serve`` with ``MESHGATE_DATA_ROOT=.run/bigdemo/scale-<N>`` (so the contract's relative
path ``demo/data/...`` reads the big file), registers the product, warms the
gateway up with a small query, reads the gateway's VmRSS / VmHWM from /proc, runs the
aggregate through GraphQL ``sql`` on DuckDB, reads them again, and checks the count
against the Parquet file's metadata.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the repo's packages

from bench.gateway_process import Gateway, serve_gateway, serve_products  # noqa: E402
from bench.sql_overhead import bare_duckdb, demo_catalog  # noqa: E402

BIG = ROOT / ".run" / "bigdemo"
PRODUCT = ROOT / "demo" / "products" / "global-precipitation"
TABLE = '"precipitation"."global-precipitation".global_daily_precipitation'
FILE = Path("demo/data/global-precipitation/global_daily_precipitation.parquet")
AGGREGATE = (
    "SELECT count(*) AS n, avg(precipitation_mm) AS mean_mm, min(observation_date) AS first_day,"
    f" max(precipitation_mm) AS max_mm FROM {TABLE}"
)
WARMUP = f"SELECT station_id, observation_date, precipitation_mm FROM {TABLE} LIMIT 5"
GRAPHQL = """query($q: String!) {
  sql(query: $q, engine: DUCKDB, maxRows: 10) { rows executedSql } }"""
MB = 1024 * 1024


def ensure_data(scale: float, base: Path = BIG) -> Path:
    """The root of the demo generated at ``scale`` (``<root>/demo/data``), made once."""
    root = base / f"scale-{scale:g}"
    data = root / "demo" / "data"
    marker = data / ".generated"
    root.mkdir(parents=True, exist_ok=True)
    # One generation at a time (two test processes, two bench runs): the second waits,
    # then finds the marker.
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file() and float(json.loads(marker.read_text())["scale"]) == scale:
            return root
        data.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(ROOT / "demo" / "generate.py"), "--scale",
                        f"{scale:g}", "--out", str(data), "--quiet"], cwd=ROOT,
                       check=True)  # fmt: skip
    return root


def memory_mb(pid: int) -> dict[str, float]:
    """``VmRSS`` (resident now) and ``VmHWM`` (resident peak) of ``pid``, in MB."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024  # the kernel reports kB
    return found


@contextmanager
def big_gateway(root: Path, memory_limit: str = "512MB") -> Iterator[Gateway]:
    """``meshgate serve`` reading the data under ``root``, the product registered."""
    env = {"MESHGATE_DATA_ROOT": str(root), "MESHGATE_DUCKDB_MEMORY_LIMIT": memory_limit}
    with serve_products([PRODUCT]) as urls, serve_gateway(urls, env) as gateway:
        yield gateway


def aggregate(gateway: Gateway, client: httpx.Client, query: str) -> dict[str, Any]:
    """One ``sql`` query on DuckDB through ``gateway``: its rows and executed SQL."""
    answer: dict[str, Any] = gateway.post(client, GRAPHQL, {"q": query})["sql"]
    return answer


@dataclass
class Outcome:
    rows_in_file: int
    count: int
    before: dict[str, float]
    after: dict[str, float]
    gateway_ms: list[float]
    direct_ms: list[float]

    @property
    def growth_mb(self) -> float:
        """Resident memory the aggregate added to the gateway process."""
        return self.after["VmRSS"] - self.before["VmRSS"]

    @property
    def peak_growth_mb(self) -> float:
        """How far the resident peak rose during the aggregate (0 when below an old peak)."""
        return self.after["VmHWM"] - self.before["VmHWM"]


def run(root: Path, runs: int = 3, memory_limit: str = "512MB") -> Outcome:
    """The aggregate through the gateway and on bare DuckDB, ``runs`` times each, alternating."""
    path = root / FILE
    rows_in_file = pq.read_metadata(path).num_rows
    with big_gateway(root, memory_limit) as gateway, httpx.Client(timeout=300) as client:
        for _ in range(2):  # warm-up: the engine, its views, the code paths of a query
            aggregate(gateway, client, WARMUP)
        before = memory_mb(gateway.pid)
        first = aggregate(gateway, client, AGGREGATE)
        after = memory_mb(gateway.pid)
        count = int(first["rows"][0][0])
        physical = str(first["executedSql"])
        # The same views over the same big files, on a bare connection with the same limit.
        with closing(bare_duckdb(demo_catalog(), root)) as con:
            con.execute(f"SET memory_limit = '{memory_limit}'")
            con.execute(physical).fetchall()  # warm like the gateway's first aggregate above
            gateway_ms: list[float] = []
            direct_ms: list[float] = []
            for _ in range(runs):
                start = time.perf_counter()
                aggregate(gateway, client, AGGREGATE)
                middle = time.perf_counter()
                con.execute(physical).fetchall()
                gateway_ms.append((middle - start) * 1000)
                direct_ms.append((time.perf_counter() - middle) * 1000)
    return Outcome(rows_in_file, count, before, after, gateway_ms, direct_ms)


def report(outcome: Outcome, scale: float) -> str:
    """The markdown table of one run."""
    gw, dr = statistics.median(outcome.gateway_ms), statistics.median(outcome.direct_ms)
    pairs = zip(outcome.gateway_ms, outcome.direct_ms, strict=True)
    added = statistics.median(g - d for g, d in pairs)
    lines = [
        f"demo --scale {scale:g}: {outcome.rows_in_file:,} rows in {FILE.name}; "
        f"the gateway counted {outcome.count:,}\n",
        "| gateway VmRSS before MB | after MB | growth MB | VmHWM before MB | after MB |",
        "|--:|--:|--:|--:|--:|",
        f"| {outcome.before['VmRSS']:.0f} | {outcome.after['VmRSS']:.0f} "
        f"| {outcome.growth_mb:+.1f} | {outcome.before['VmHWM']:.0f} "
        f"| {outcome.after['VmHWM']:.0f} |",
        "",
        "| statement | runs | direct DuckDB p50 ms | gateway p50 ms | added ms | ratio |",
        "|---|--:|--:|--:|--:|--:|",
        f"| count/avg/min/max over {outcome.rows_in_file:,} rows | {len(outcome.gateway_ms)} "
        f"| {dr:.0f} | {gw:.0f} | {added:+.0f} | {gw / dr:.2f} |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, default=640)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--memory-limit", default="512MB", help="the gateway's DuckDB limit")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    root = ensure_data(args.scale)
    generated = time.perf_counter() - started
    outcome = run(root, args.runs, args.memory_limit)
    print(f"\ndata ready in {generated:.0f}s (reused when already generated)\n")
    print(report(outcome, args.scale))
    ok = outcome.count == outcome.rows_in_file and outcome.growth_mb < 100
    print(f"\n{'PASS' if ok else 'FAIL'}: count matches the file, RSS growth < 100 MB")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
