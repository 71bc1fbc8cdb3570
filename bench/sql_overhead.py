#!/usr/bin/env python3
"""What the gateway adds to federated SQL: the same statements through GraphQL ``sql`` and
straight on each engine, in one run, plus the planner alone.

    .venv/bin/python bench/sql_overhead.py [--runs 100] [--planner-runs 1000] [--baseline DIR]
                                           [--engines duckdb trino] [--also-httpx]
                                           [--baseline-env NAME=VALUE ...]

Needs `demo/data` (`make demo-data`), PostgreSQL and MariaDB (`scripts/services.sh up`).
Starts Trino (`scripts/trino.sh up`, timed: a no-op when it already runs), loads the demo
products into the stores Trino reads (as the tests' fixtures do), serves the products the
statements read and starts ``meshgate serve`` with ``MESHGATE_TRINO_URL`` set so both
engines are on (:mod:`bench.gateway_process`), then for each statement and engine times,
alternately (so every path shares the machine's noise):
- gateway: the GraphQL ``sql`` field end to end (plan, engine, JSON of the rows), asked
  over one kept-open connection by :class:`bench.lean_client.LeanClient` (the standard
  library's ``http.client``: httpx's own work, 0.4 to 1.5 ms a request here, is not the
  gateway's; ``--also-httpx`` times the gateway through httpx as well, in one more
  column);
- baseline (with ``--baseline DIR``, another checkout with its own ``demo/data``, e.g. an
  older commit unpacked with ``git archive``): the same through a gateway running that
  checkout's code, started the same way: before and after in one run;
- direct: the plan's own executed SQL on the engine without meshgate. DuckDB: a bare
  connection with the same views over the same files; Trino: the official ``trino``
  client, one connection, a fresh cursor per run, every row fetched.
``--engines duckdb`` leaves Trino out (not started, not configured): the embedded engine
measured without the two Trino JVMs busy on the same cores, which slow every path of the
run (the bare DuckDB point lookup: 1.0 ms quiet, 2.8 ms beside a busy Trino).
Prints a markdown table (p50 of each, added ms = median of per-run differences, ratio of
p50s, the added ms over issue 10's target for the engine), the planner's p50/p99 over the
demo catalog, and the targets' ratios (worst statement per engine; at most 1 meets it).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from typing import Any

import duckdb
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the repo's packages (tests.fixtures too)

from bench.env_option import add_env_option  # noqa: E402
from bench.gateway_process import Gateway, Poster, serve_gateway, serve_products  # noqa: E402
from bench.lean_client import LeanClient  # noqa: E402
from bench.quantiles import percentile  # noqa: E402
from gateway.federation.catalog import StaticCatalog, load_product_folders  # noqa: E402
from gateway.federation.engines import _duckdb_sources as sources  # noqa: E402
from gateway.federation.engines._duckdb_csv_views import (  # noqa: E402
    sniffed_relation,
    store_types,
)
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
READ = ("us-precipitation", "physical-risk", "flood-areas", "global-precipitation",
        "city-temperatures")  # fmt: skip
"""The products the statements read: the only ones the bench serves."""
GRAPHQL = """query($q: String!, $e: SqlEngine) {
  sql(query: $q, engine: $e) { rowCount rows executedSql } }"""
ENGINES = ("duckdb", "trino")
TARGET_ADDED_MS = {"duckdb": 5.0, "trino": 10.0}
"""Issue 10's targets: the most a statement may take longer through the gateway."""
VIA_HTTPX = "gateway via httpx"  # the path of ``--also-httpx``


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
        # As the engine reads it: a CSV with the options it sniffed when made.
        relation = sniffed_relation(sources.file_source(location, reach, glob), con)
        types = store_types(con, relation)
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
def gateways(
    ports: Sequence[int],
    baseline: Path | None,
    engines: Sequence[str] = ENGINES,
    baseline_env: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Gateway]]:
    """The gateway under test (``"gateway"``) and, with ``baseline``, the same started from
    that checkout (``"baseline"``, ``baseline_env`` added to its environment), both over
    the same product gateways; Trino configured only when ``engines`` has it."""
    # Empty turns the engine off, whatever the shell's environment says.
    env = {"MESHGATE_TRINO_URL": TRINO_URL if "trino" in engines else ""}
    codes = {"gateway": ROOT} | ({"baseline": baseline} if baseline is not None else {})
    envs = {"gateway": env, "baseline": {**env, **(baseline_env or {})}}
    with ExitStack() as stack:
        urls = stack.enter_context(serve_products([ROOT / "demo" / "products" / n for n in READ]))
        yield {
            name: stack.enter_context(serve_gateway(urls, envs[name], code=code, port=port))
            for (name, code), port in zip(codes.items(), ports, strict=False)
        }


def gateway_call(client: Poster, gateway: Gateway, sql: str, engine: str) -> dict[str, Any]:
    """One ``sql`` query through ``gateway``; its result (raises on GraphQL errors)."""
    result: dict[str, Any] = gateway.post(client, GRAPHQL, {"q": sql, "e": engine.upper()})["sql"]
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


def measure(found: dict[str, Gateway], catalog: StaticCatalog, runs: int, warmup: int,
            engines: Sequence[str] = ENGINES, *, also_httpx: bool = False,
            ) -> list[dict[str, Any]]:  # fmt: skip
    """For every statement and engine: each gateway's and the direct times (ms), in turn;
    each gateway through :class:`LeanClient`, and with ``also_httpx`` the gateway under
    test through httpx too (``"gateway via httpx"``)."""
    from tests.fixtures.trino import trino_connection

    rows: list[dict[str, Any]] = []
    with (
        closing(bare_duckdb(catalog, ROOT)) as con,
        closing(
            trino_connection(TRINO_URL, user="bench", source="meshgate-bench")
            if "trino" in engines
            else _NoTrino()
        ) as tconn,
        ExitStack() as clients,
    ):
        # One kept connection per gateway: a client shared by two would reconnect at
        # every turn. httpx only when asked for.
        lean = {name: clients.enter_context(LeanClient(timeout=60)) for name in found}
        slow = clients.enter_context(httpx.Client(timeout=60)) if also_httpx else None
        for label, sql in STATEMENTS.items():
            for engine in engines:
                executed = gateway_call(lean["gateway"], found["gateway"], sql, engine)
                physical = str(executed["executedSql"])
                direct = direct_runner(engine, con, tconn)
                if direct(physical) != executed["rowCount"]:
                    raise RuntimeError(f"{label} on {engine}: direct and gateway row counts differ")
                paths: list[tuple[str, Callable[[], object]]] = [
                    (name, functools.partial(gateway_call, lean[name], g, sql, engine))
                    for name, g in found.items()
                ] + [("direct", functools.partial(direct, physical))]
                if slow is not None:
                    call = functools.partial(gateway_call, slow, found["gateway"], sql, engine)
                    paths.append((VIA_HTTPX, call))
                times: dict[str, list[float]] = {name: [] for name, _ in paths}
                for i in range(warmup + runs):
                    # Each path goes first as often as the others.
                    turn = i % len(paths)
                    for name, call in paths[turn:] + paths[:turn]:
                        start = time.perf_counter()
                        call()
                        if i >= warmup:
                            times[name].append((time.perf_counter() - start) * 1000)
                rows.append({"statement": label, "engine": engine, "rows": executed["rowCount"],
                             **times})  # fmt: skip
        retries = sum(client.retries for client in lean.values())
        if retries:  # each is one request sent twice: its time covers both
            print(f"the lean client sent {retries} request(s) again on a new connection")
    return rows


class _NoTrino:
    """Stands for the Trino connection when Trino is left out (never used)."""

    def close(self) -> None:
        pass


def planner_times(catalog: StaticCatalog, runs: int) -> dict[str, list[float]]:
    """Milliseconds of ``plan()`` alone per statement (DuckDB and Trino alternating)."""
    times: dict[str, list[float]] = {label: [] for label in STATEMENTS}
    for i in range(runs):
        for label, sql in STATEMENTS.items():
            start = time.perf_counter()
            plan(sql, catalog, ENGINES[i % 2], max_rows=1000)
            times[label].append((time.perf_counter() - start) * 1000)
    return times


def added(row: dict[str, Any], path: str) -> float:
    """The median of ``path``'s per-run time over the direct run's (ms)."""
    pairs = zip(row[path], row["direct"], strict=True)
    return statistics.median(g - d for g, d in pairs)


def report(rows: list[dict[str, Any]], planner: dict[str, list[float]], runs: int) -> str:
    """The markdown tables of the run."""
    before = "baseline" in rows[0]
    httpx_too = VIA_HTTPX in rows[0]  # one more column: the same gateway, httpx asking
    out = [f"{runs} runs per statement and engine, each path in turn\n"]
    if before:
        head = ["statement", "engine", "rows", "direct p50 ms", "before p50 ms", "after p50 ms",
                "before added ms", "after added ms", "after added / target"]  # fmt: skip
    else:
        head = ["statement", "engine", "rows", "direct p50 ms", "gateway p50 ms", "added ms",
                "ratio", "added / target"]  # fmt: skip
    head += [f"{'after ' if before else ''}added via httpx ms"] if httpx_too else []
    out += ["| " + " | ".join(head) + " |", "|---|---|" + "--:|" * (len(head) - 2)]
    for r in rows:
        direct, gateway = statistics.median(r["direct"]), statistics.median(r["gateway"])
        cells = [r["statement"], r["engine"], str(r["rows"]), f"{direct:.2f}"]
        share = added(r, "gateway") / TARGET_ADDED_MS[r["engine"]]
        if before:
            old = statistics.median(r["baseline"])
            cells += [f"{old:.2f}", f"{gateway:.2f}", f"{added(r, 'baseline'):+.2f}",
                      f"{added(r, 'gateway'):+.2f}", f"{share:.2f}"]  # fmt: skip
        else:
            cells += [f"{gateway:.2f}", f"{added(r, 'gateway'):+.2f}",
                      f"{gateway / direct:.2f}", f"{share:.2f}"]  # fmt: skip
        cells += [f"{added(r, VIA_HTTPX):+.2f}"] if httpx_too else []
        out.append("| " + " | ".join(cells) + " |")
    every = [t for values in planner.values() for t in values]
    out += ["", f"planner alone, `plan()` over the demo catalog ({len(every)} runs)\n",
            "| statement | p50 ms | p99 ms |", "|---|--:|--:|"]  # fmt: skip
    for label, values in [*planner.items(), ("all", every)]:
        out.append(f"| {label} | {percentile(values, 0.5):.3f} | {percentile(values, 0.99):.3f} |")
    out += ["", "targets (issue 10): the worst statement's added ms over the target; "
            "at most 1 meets it\n", "| engine | target ms | worst added ms | ratio |",
            "|---|--:|--:|--:|"]  # fmt: skip
    for engine, target in TARGET_ADDED_MS.items():
        if not any(r["engine"] == engine for r in rows):
            continue
        worst = max(added(r, "gateway") for r in rows if r["engine"] == engine)
        out.append(f"| {engine} | +{target:g} | {worst:+.2f} | {worst / target:.2f} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--planner-runs", type=int, default=1000, help="total plan() calls")
    parser.add_argument("--gateway-port", type=int, default=0, help="0: any free port")
    parser.add_argument("--baseline-port", type=int, default=0, help="0: any free port")
    add_env_option(parser, "--baseline-env", "environment of the --baseline gateway only "
                   "(e.g. MESHGATE_EVENT_LOOP=uvloop with --baseline .)")  # fmt: skip
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a checkout to measure side by side (before and after)")  # fmt: skip
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES),
                        help="the engines measured (duckdb alone: Trino not started)")  # fmt: skip
    parser.add_argument(
        "--also-httpx",
        action="store_true",
        help="time the gateway through httpx too (the client until 3 Dec 2026)",
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    trino_up = prepare_trino() if "trino" in args.engines else None
    catalog = demo_catalog()
    ports = (args.gateway_port, args.baseline_port)
    with gateways(ports, args.baseline, args.engines, args.baseline_env) as found:
        rows = measure(
            found, catalog, args.runs, args.warmup, args.engines, also_httpx=args.also_httpx
        )
    planner = planner_times(catalog, max(1, args.planner_runs // len(STATEMENTS)))
    if trino_up is not None:
        print(f"\n`scripts/trino.sh up` took {trino_up:.1f}s (a quick check when Trino runs)\n")
    print(report(rows, planner, args.runs))
    print(f"\nwhole run: {time.perf_counter() - began:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
