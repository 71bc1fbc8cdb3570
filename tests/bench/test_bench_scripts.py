"""The benchmark scripts run end to end with tiny settings and print their tables."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from bench.registry_scale import SEARCHES
from demo.stores import StoredTable

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| (?P<statement>[^|]+) \| (?P<engine>duckdb|trino) \| (?P<rows>\d+) \|")


def bench(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_sql_overhead_prints_every_statement_on_both_engines(
    trino_url: str, demo_stores: list[StoredTable]
) -> None:
    del trino_url, demo_stores  # requested: Trino answers and reads the demo stores
    out = bench(
        "sql_overhead.py", "--runs", "1", "--warmup", "0", "--planner-runs", "4", "--also-httpx"
    )
    measured = [m.groupdict() for line in out.splitlines() if (m := ROW.match(line))]
    # The gateway asked by the lean client, and by httpx in the last column, every row.
    assert "| added / target | added via httpx ms |" in out, out
    assert all(re.search(r"\| [+-]\d+\.\d+ \|$", line) for line in out.splitlines()
               if ROW.match(line) and "planner" not in line), out  # fmt: skip
    pairs = {(m["statement"], m["engine"]) for m in measured}
    assert len(pairs) == 8, out  # four statements, two engines
    assert {m["statement"] for m in measured if m["rows"] != "0"} == {p[0] for p in pairs}
    assert "| point lookup |" in out.split("planner alone")[1]
    assert re.search(r"^\| all \| \d+\.\d+ \| \d+\.\d+ \|$", out, re.MULTILINE), out
    # Issue 10's targets, one line per engine: +5 ms on DuckDB, +10 ms on Trino.
    targets = re.findall(r"^\| (duckdb|trino) \| \+(\d+) \| [+-]\d+\.\d+ \| -?\d+\.\d+ \|$",
                         out.split("targets")[1], re.MULTILINE)  # fmt: skip
    assert targets == [("duckdb", "5"), ("trino", "10")], out


def test_big_aggregate_passes_at_a_small_scale() -> None:
    out = bench("big_aggregate.py", "--scale", "5", "--runs", "1")
    assert "the gateway counted 78,475" in out
    assert "PASS: count matches the file" in out
    row = r"^\| count/avg/min/max over 78,475 rows \| 1 \| \d+ \| \d+ \| [+-]\d+ \| \d+\.\d+ \|$"
    assert re.search(row, out, re.M), out


def test_lineage_graph_prints_each_question() -> None:
    out = bench("lineage_graph.py", "--products", "300", "--depth", "3", "--runs", "1")
    rows = re.findall(r"^\| (lineage|impact) [^|]+ \| (\d+) \| (\d+) \| [\d.]+ \| [\d.]+ \|$",
                      out, re.MULTILINE)  # fmt: skip
    assert len(rows) == 4, out
    # 300 products are layers 0 to 2 of 100; product (L, q) consumes (L-1, q) and
    # (L-1, q+1), so the first product feeds 2 products of layer 1 and 3 of layer 2:
    # 1 + 2 + 3 nodes, joined by 2 + 4 input edges.
    assert rows[0] == ("lineage", "6", "6"), out


def test_registry_scale_prints_every_measure() -> None:
    # Issue 10's curve, on 20 simulated products and SQLite only (the script's own run is
    # 100 / 1,000 / 10,000 on both backends: docs/benchmarks.md).
    out = bench("registry_scale.py", "--sizes", "20", "--backends", "sqlite",
                "--runs", "5", "--http-at", "20", "--register", "12", "--warm-up", "1")  # fmt: skip
    rows = re.findall(r"^\| sqlite \| 20 \| ([^|]+) \| ([\d.]+) \| ([^|]+) \|$", out, re.MULTILINE)
    assert {name.strip() for name, _, _ in rows} == {
        "register, in process (per product, 12 products)",
        "the other 8 written by the store (per product)",
        "register, HTTP one by one (per product)",
        "catalog build",
        "page, first 50",
        "page, 50 deep",
        "search",
        *(f"search {text!r}" for text in SEARCHES),
        "domains",
        "SQL catalog (explainSql)",
        "first health round, checks cut to 1 ms (s)",
        "gateway CPU from start to its first health round done (s)",
        "gateway CPU in all, at the end (s)",
        "then busy until quiet (s, wall)",
        "gateway CPU from start to quiet (s)",
    }, out
