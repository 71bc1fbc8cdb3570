#!/usr/bin/env python3
"""What the gateway adds to federated SQL: the same statements through GraphQL ``sql`` and
straight on each engine, in one run, plus the planner alone.

    .venv/bin/python bench/sql_overhead.py [--runs 100] [--planner-runs 1000]

Needs `demo/data` (`make demo-data`), PostgreSQL and MariaDB (`scripts/services.sh up`).
Starts Trino (`scripts/trino.sh up`, timed: a no-op when it already runs), loads the demo
products into the stores Trino reads (as the tests' fixtures do), starts the demo mesh with
``MESHGATE_TRINO_URL`` set so both engines are on, then for each statement and engine times,
alternately (so both paths share the machine's noise):
- gateway: the GraphQL ``sql`` field end to end (plan, engine, JSON of the rows);
- direct: the plan's own executed SQL on the engine without meshgate. DuckDB: a bare
  connection with the same views over the same files; Trino: the official ``trino``
  client, one connection, a fresh cursor per run, every row fetched.
Prints a markdown table (p50 of each, added ms = median of per-run differences, ratio of
p50s) and the planner's p50/p99 over the demo catalog.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import duckdb
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the repo's packages (tests.fixtures too)

from gateway.federation.catalog import StaticCatalog, load_product_folders  # noqa: E402
from gateway.federation.engines import _duckdb_sources as sources  # noqa: E402
from gateway.federation.planner import plan  # noqa: E402
from gateway.federation.reach import Reach  # noqa: E402

TRINO_URL = "http://127.0.0.1:58080"
MARIADB_DSN = "mysql://meshgate:meshgate@127.0.0.1:53306/"
STATEMENTS = {
    "point lookup": (
        'SELECT station_name, state_code FROM "precipitation"."us-precipitation".us_stations '
        "WHERE station_id = 'USW00094728'"
    ),
    "small aggregate": (
        "SELECT station_id, count(*) AS days, sum(precipitation_in) AS inches "
        'FROM "precipitation"."us-precipitation".us_daily_precipitation GROUP BY station_id'
    ),
    "3-product join": (
        "SELECT a.company_name, f.flood_type, count(*) AS days, sum(g.precipitation_mm) AS mm "
        'FROM "physical-risk"."physical-risk".assets a '
        'JOIN flood."flood-areas".flood_prone_areas f ON f.h3_cell = a.h3_cell '
        'JOIN precipitation."global-precipitation".global_daily_precipitation g '
        "ON g.h3_cell = a.h3_cell GROUP BY 1, 2"
    ),
    "window": (
        "SELECT insee_code, observation_date, tmax_c, "
        "rank() OVER (PARTITION BY insee_code ORDER BY tmax_c DESC) AS hottest "
        'FROM temperature."city-temperatures".city_daily_temperatures '
        "WHERE insee_code = '31555'"
    ),
}
READ = "us-precipitation,physical-risk,flood-areas,global-precipitation,city-temperatures"
"""The products the statements read: the only ones the bench starts."""
GRAPHQL = """query($q: String!, $e: SqlEngine) {
  sql(query: $q, engine: $e) { rowCount rows executedSql } }"""
ENGINES = ("duckdb", "trino")


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def demo_catalog() -> StaticCatalog:
    """The demo products' catalog, read from their folders (what the mesh registers)."""
    folders = sorted(p.parent for p in (ROOT / "demo" / "products").glob("*/product.yaml"))
    return load_product_folders(folders, env={})


def bare_duckdb(catalog: StaticCatalog, root: Path) -> duckdb.DuckDBPyConnection:
    """A plain DuckDB connection with the engine's views over the same files, nothing else."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    reach = Reach.of(root=root)

    def glob(pattern: str) -> list[str]:
        return [
            str(row[0]) for row in con.execute("SELECT file FROM glob(?)", [pattern]).fetchall()
        ]

    made: set[str] = set()
    for table in catalog.tables():
        location = table.locations.get("duckdb")
        if location is None or str(location.source.get("type", "local")) != "local":
            continue
        relation = sources.file_source(location, reach, glob).relation()
        types = {
            str(r[0]): str(r[1])
            for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        }
        schema = sources.qualified(location.parts[:-1])
        if schema not in made:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            made.add(schema)
        view = sources.qualified(location.parts)
        con.execute(f"CREATE VIEW {view} AS {sources.view_select(table, relation, types)}")
    return con


def prepare_trino() -> float:
    """Start Trino unless it runs and load the demo stores; seconds ``trino.sh up`` took."""
    from demo.stores import ensure_loaded  # what the tests' fixtures load with

    start = time.perf_counter()
    done = subprocess.run(["bash", str(ROOT / "scripts" / "trino.sh"), "up"], cwd=ROOT,
                          capture_output=True, text=True, check=False)  # fmt: skip
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"scripts/trino.sh up failed:\n{done.stdout}{done.stderr}")
    ensure_loaded(MARIADB_DSN)
    return took


@contextmanager
def demo_mesh(gateway_port: int, first_product_port: int) -> Iterator[str]:
    """The demo mesh (``demo/mesh.py up``) with both engines on; yields the GraphQL URL."""
    env = {**os.environ, "MESHGATE_REGISTRY_URL": "sqlite://:memory:",
           "MESHGATE_LOG_LEVEL": "warning", "MESHGATE_TRINO_URL": TRINO_URL,
           "MESHGATE_RATE_LIMIT_PER_MINUTE": "0"}  # time the gateway, not its limit  # fmt: skip
    mesh = subprocess.Popen(
        [sys.executable, str(ROOT / "demo" / "mesh.py"), "up", "--products", READ,
         "--gateway-port", str(gateway_port), "--first-product-port", str(first_product_port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert mesh.stdout is not None
        for line in mesh.stdout:
            if line.startswith("GraphiQL:"):
                break
        else:
            raise SystemExit("the demo mesh did not start")
        yield f"http://127.0.0.1:{gateway_port}/graphql"
    finally:
        mesh.terminate()
        mesh.wait(timeout=20)


def admin_headers() -> dict[str, str]:
    """The demo admin's credentials (``demo/mesh.py up`` writes the demo users' tokens)."""
    tokens = json.loads((ROOT / ".run" / "demo-auth" / "tokens.json").read_text())
    return {"Authorization": f"Bearer {tokens['admin']}"}


def gateway_call(client: httpx.Client, url: str, sql: str, engine: str) -> dict[str, Any]:
    """One ``sql`` query through the gateway; its result (raises on GraphQL errors)."""
    variables = {"q": sql, "e": engine.upper()}
    body = client.post(url, json={"query": GRAPHQL, "variables": variables}).json()
    if body.get("errors"):
        raise RuntimeError(f"{engine}: {body['errors']}")
    result: dict[str, Any] = body["data"]["sql"]
    return result


def direct_runner(
    engine: str, con: duckdb.DuckDBPyConnection, trino_conn: Any
) -> Callable[[str], int]:
    """A function running engine SQL straight on ``engine``; returns the rows fetched."""

    def on_duckdb(sql: str) -> int:
        cursor = con.cursor()
        try:
            return len(cursor.execute(sql).fetchall())
        finally:
            cursor.close()

    def on_trino(sql: str) -> int:
        cursor = trino_conn.cursor()
        cursor.execute(sql)
        return len(cursor.fetchall())

    return on_duckdb if engine == "duckdb" else on_trino


def measure(url: str, catalog: StaticCatalog, runs: int, warmup: int) -> list[dict[str, Any]]:
    """For every statement and engine: gateway and direct times (s), alternating."""
    from tests.fixtures.trino import trino_connection

    rows: list[dict[str, Any]] = []
    with (
        closing(bare_duckdb(catalog, ROOT)) as con,
        closing(trino_connection(TRINO_URL, user="bench", source="meshgate-bench")) as tconn,
        httpx.Client(timeout=60, headers=admin_headers()) as client,
    ):
        for label, sql in STATEMENTS.items():
            for engine in ENGINES:
                executed = gateway_call(client, url, sql, engine)
                physical = str(executed["executedSql"])
                direct = direct_runner(engine, con, tconn)
                if direct(physical) != executed["rowCount"]:
                    raise RuntimeError(f"{label} on {engine}: direct and gateway row counts differ")
                gw: list[float] = []
                dr: list[float] = []
                for i in range(warmup + runs):
                    start = time.perf_counter()
                    gateway_call(client, url, sql, engine)
                    middle = time.perf_counter()
                    direct(physical)
                    end = time.perf_counter()
                    if i >= warmup:
                        gw.append((middle - start) * 1000)
                        dr.append((end - middle) * 1000)
                rows.append({"statement": label, "engine": engine, "gateway": gw, "direct": dr,
                             "rows": executed["rowCount"]})  # fmt: skip
    return rows


def planner_times(catalog: StaticCatalog, runs: int) -> dict[str, list[float]]:
    """Milliseconds of ``plan()`` alone per statement (DuckDB and Trino alternating)."""
    times: dict[str, list[float]] = {label: [] for label in STATEMENTS}
    for i in range(runs):
        for label, sql in STATEMENTS.items():
            start = time.perf_counter()
            plan(sql, catalog, ENGINES[i % 2], max_rows=1000)
            times[label].append((time.perf_counter() - start) * 1000)
    return times


def report(rows: list[dict[str, Any]], planner: dict[str, list[float]], runs: int) -> str:
    """The markdown tables of the run."""
    out = [f"{runs} runs per statement and engine, alternating gateway / direct\n",
           "| statement | engine | rows | direct p50 ms | gateway p50 ms | added ms | ratio |",
           "|---|---|--:|--:|--:|--:|--:|"]  # fmt: skip
    for r in rows:
        direct, gateway = statistics.median(r["direct"]), statistics.median(r["gateway"])
        added = statistics.median(g - d for g, d in zip(r["gateway"], r["direct"], strict=True))
        out.append(f"| {r['statement']} | {r['engine']} | {r['rows']} | {direct:.2f} "
                   f"| {gateway:.2f} | {added:+.2f} | {gateway / direct:.2f} |")  # fmt: skip
    every = [t for values in planner.values() for t in values]
    out += ["", f"planner alone, `plan()` over the demo catalog ({len(every)} runs)\n",
            "| statement | p50 ms | p99 ms |", "|---|--:|--:|"]  # fmt: skip
    for label, values in [*planner.items(), ("all", every)]:
        out.append(f"| {label} | {percentile(values, 0.5):.3f} | {percentile(values, 0.99):.3f} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--planner-runs", type=int, default=1000, help="total plan() calls")
    parser.add_argument("--gateway-port", type=int, default=8700)
    parser.add_argument("--first-product-port", type=int, default=8701)
    args = parser.parse_args(argv)
    began = time.perf_counter()
    trino_up = prepare_trino()
    catalog = demo_catalog()
    with demo_mesh(args.gateway_port, args.first_product_port) as url:
        rows = measure(url, catalog, args.runs, args.warmup)
    planner = planner_times(catalog, max(1, args.planner_runs // len(STATEMENTS)))
    print(f"\n`scripts/trino.sh up` took {trino_up:.1f}s (a quick check when Trino runs)\n")
    print(report(rows, planner, args.runs))
    print(f"\nwhole run: {time.perf_counter() - began:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
