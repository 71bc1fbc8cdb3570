#!/usr/bin/env python3
"""The registry's cost curve at 100, 1,000 and 10,000 products, on SQLite and PostgreSQL.

    .venv/bin/python bench/registry_scale.py [--sizes 100,1000,10000] [--backends sqlite,postgresql]

Needs the demo data (``make demo-data``) and, for PostgreSQL, the server of
``--postgres-dsn`` (scripts/services.sh). One simulated mesh (bench/sim_mesh.py, its own
process) serves every product; per backend and size, in a fresh database:

1. registration: every product registered through the registry's service in this
   process (``Registry.register``: the same live checks as the HTTP route, ``--concurrency``
   at a time); per product = wall time / products. At ``--http-at`` products it is also
   measured one by one through ``POST /registry/products`` of a gateway, in another fresh
   database, for comparison;
2. a gateway (``meshgate serve``, its own process) over that database; once its first
   health round is done (it checks every product at start), over HTTP, one at a time:
   a ``products`` page (the first 50 with ``totalCount``, and 50 deep in the list), a
   ``search`` (a few terms in turn), ``domains``, and ``explainSql`` of one table (the SQL
   catalog, read from the state kept; its first build, which reads every contract, is
   timed once as "catalog build").

``--register K`` registers K products per size through the service and writes the rest
with the store (the same rows); ``--existing BACKEND:SIZE=URL`` measures a registry filled
by an earlier run whose mesh served ``--sim-port``; the graph fields are timed once the
gateway has been quiet for two seconds after its first health round, with its CPU time;
``--catalog-at-most`` bounds the sizes whose catalog is built; ``--store-only`` also times
the PostgreSQL SQL of before (``OFFSET`` pages, ``ts_rank``) next to today's.

Prints one table of p50 / p99 milliseconds per size and backend.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.peer.procs import cpu_seconds, free_port, wait_quiet  # noqa: E402
from bench.quantiles import percentile  # noqa: E402
from bench.registry_store_timing import SEARCHES, before_and_after, measure_store  # noqa: E402
from bench.sim_mesh import SimMesh, capture_templates, stored_rows  # noqa: E402
from gateway.identity.local_issuer import LocalIssuer  # noqa: E402
from gateway.registry import Registry, open_registry  # noqa: E402
from gateway.registry.listing import (  # noqa: E402
    encode_after,
    filter_mark,
    listing_key,
)
from gateway.settings import Settings  # noqa: E402
from gateway.upstream import create_http_client  # noqa: E402

LOOPBACK = "127.0.0.1/32"
HEALTH_DEADLINE = "0.001"
PAGE = """query($after: String) { products(first: 50, after: $after) {
  totalCount edges { node { key name } } } }"""
SEARCH = """query($text: String!) { search(text: $text, first: 20) {
  score product { key } matches { field } } }"""
DOMAINS = "{ domains { name productCount } }"
EXPLAIN = "query($q: String!) { explainSql(query: $q) }"
TABLE = 'SELECT station_name FROM "precipitation-0"."us-precipitation-0".us_stations'


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=2)
            return
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout:g} s")


@contextlib.contextmanager
def sim_mesh(count: int, port: int = 0) -> Iterator[str]:
    """The simulated mesh of ``count`` products, in its own process."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "sim_mesh.py"), "--count", str(count),
         "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("ready "):
            raise SystemExit("the simulated mesh did not start")
        base = line.split()[1]
        wait_for(f"{base}/p/0/observe/health")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextlib.contextmanager
def database(backend: str, tmp: Path, admin_dsn: str) -> Iterator[str]:
    """The URL of a fresh, empty registry database."""
    if backend == "sqlite":
        path = tmp / f"registry-{secrets.token_hex(4)}.db"
        yield f"sqlite:///{path}"
        return
    import psycopg
    from psycopg import sql

    name = f"meshgate_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(admin_dsn)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


async def register_in_process(url: str, base: str, count: int, concurrency: int) -> float:
    """Register products 0..count-1 through ``Registry.register``; wall seconds."""
    store = await open_registry(url)
    settings = Settings(upstream_allowed_networks=LOOPBACK, upstream_read_timeout=30.0)
    gate = asyncio.Semaphore(concurrency)
    try:
        async with create_http_client(settings) as http:
            registry = Registry(store, http)

            async def one(n: int) -> None:
                async with gate:
                    await registry.register(f"{base}/p/{n}")

            start = time.perf_counter()
            await asyncio.gather(*(one(n) for n in range(count)))
            return time.perf_counter() - start
    finally:
        await store.close()


async def write_in_process(url: str, base: str, start: int, count: int) -> float:
    """Write products start..count-1 with the store alone, as registration stores them
    (summary, search places of the served contracts), generated here from the same
    templates the simulated mesh serves; wall seconds. For the sizes where registering
    every product through the service would take longer than the run may (``--register``)."""
    mesh = SimMesh(await asyncio.to_thread(capture_templates), count)
    store = await open_registry(url)
    now = datetime.now(UTC)
    try:
        began = time.perf_counter()
        for n in range(start, count):
            product, places = stored_rows(mesh, n, base, now)
            await store.upsert(product, places=places)
        return time.perf_counter() - began
    finally:
        await store.close()


@contextlib.contextmanager
def gateway(url: str, tmp: Path, issuer: LocalIssuer) -> Iterator[tuple[str, int]]:
    """``meshgate serve`` over the registry at ``url``; yields its base URL and pid."""
    port = free_port()
    env = {
        **os.environ,
        "MESHGATE_REGISTRY_URL": url,
        "MESHGATE_AUTH_ISSUERS_FILE": str(issuer.issuers_file),
        "MESHGATE_UPSTREAM_ALLOWED_NETWORKS": LOOPBACK,
        "MESHGATE_RATE_LIMIT_PER_MINUTE": "0",
        "MESHGATE_LOG_LEVEL": "error",
        # One process serves every simulated product: under a burst (the catalog reads
        # every contract at once) it answers slowly, never wrongly.
        "MESHGATE_UPSTREAM_CONNECT_TIMEOUT": "30",
        "MESHGATE_UPSTREAM_READ_TIMEOUT": "120",
        "MESHGATE_UPSTREAM_TOTAL_TIMEOUT": "300",
        # One health round at start (waited for below), none during the measurements; its
        # checks cut short (they are not measured here: a round of 10,000 full checks
        # takes minutes of the gateway's CPU, see docs/benchmarks.md).
        "MESHGATE_HEALTH_REFRESH_SECONDS": "86400",
        "MESHGATE_HEALTH_DEADLINE_SECONDS": HEALTH_DEADLINE,
        "MESHGATE_CERTIFICATION_INTERVAL_SECONDS": "0",
        # The first catalog build reads every contract: give it the time 10,000 need.
        "MESHGATE_SQL_CATALOG_DEADLINE_SECONDS": "300",
        "MESHGATE_CACHE_TTL_SECONDS": "3600",
        # The registry is what is measured: no answer kept whole (gateway/result_cache.py
        # would answer the same page from memory after its first run).
        "MESHGATE_RESULT_CACHE": "false",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/graphql", timeout=120)
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def register_over_http(gateway_base: str, base: str, count: int, headers: dict[str, str]) -> float:
    with httpx.Client(timeout=60, headers=headers) as client:
        start = time.perf_counter()
        for n in range(count):
            answer = client.post(f"{gateway_base}/registry/products", json={"url": f"{base}/p/{n}"})
            if answer.status_code != 201:
                raise SystemExit(f"registering product {n} failed: {answer.text[:300]}")
        return time.perf_counter() - start


class Graph:
    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.client = httpx.Client(base_url=base, headers=headers, timeout=600)

    def ask(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self.client.post("/graphql", json={"query": query, "variables": variables})
        body: dict[str, Any] = answer.json()
        if body.get("errors"):
            raise SystemExit(f"{query[:60]}...: {body['errors'][:2]}")
        return body

    def timed(self, runs: int, ask: Callable[[int], object]) -> list[float]:
        for i in range(3):  # warm-up
            ask(i)
        times = []
        for i in range(runs):
            start = time.perf_counter()
            ask(i)
            times.append((time.perf_counter() - start) * 1000)
        return times


def wait_health_round(graph: Graph, count: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = graph.ask("{ meshHealth { counts { count } } }")["data"]["meshHealth"]["counts"]
        if sum(c["count"] for c in counts) >= count:
            return
        time.sleep(0.5)
    raise SystemExit("the gateway's first health round did not end in time")


async def deep_cursor(url: str, count: int) -> str:
    """The ``products`` cursor of product N-61 in the listing order (a page 50 deep)."""
    store = await open_registry(url)
    try:
        (product,) = await store.list(offset=max(count - 61, 0), limit=1)
    finally:
        await store.close()
    return encode_after(listing_key(product), filter_mark(None, None, None))


def warm_up(graph: Graph, deep: str, seconds: float) -> None:
    """The timed fields in turn for ``seconds``, untimed: a served gateway is measured in
    its steady state, after the one-time work of its first requests (among it, the heap
    settled again once the registry's objects have been loaded, gateway/heap.py)."""
    asks = [
        lambda: graph.ask(PAGE),
        lambda: graph.ask(PAGE, {"after": deep}),
        *(lambda text=text: graph.ask(SEARCH, {"text": text}) for text in SEARCHES),
        lambda: graph.ask(DOMAINS),
    ]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for ask in asks:
            ask()


def measure(graph: Graph, deep: str, runs: int, catalog: bool) -> dict[str, Any]:
    """The timed fields; the SQL catalog last (its first build reads every contract) and
    only when ``catalog``."""
    found: dict[str, Any] = {}
    found["page, first 50"] = graph.timed(runs, lambda i: graph.ask(PAGE))
    found["page, 50 deep"] = graph.timed(runs, lambda i: graph.ask(PAGE, {"after": deep}))
    found["search"] = graph.timed(
        runs, lambda i: graph.ask(SEARCH, {"text": SEARCHES[i % len(SEARCHES)]})
    )
    for text in SEARCHES:  # each term alone: the rotation's p99 is its slowest term's
        found[f"search {text!r}"] = graph.timed(
            max(runs // 2, 10), lambda i, text=text: graph.ask(SEARCH, {"text": text})
        )
    found["domains"] = graph.timed(runs, lambda i: graph.ask(DOMAINS))
    if catalog:
        start = time.perf_counter()
        graph.ask(EXPLAIN, {"q": TABLE})
        found["catalog build"] = (time.perf_counter() - start) * 1000
        found["SQL catalog (explainSql)"] = graph.timed(
            max(runs // 2, 10), lambda i: graph.ask(EXPLAIN, {"q": TABLE})
        )
    return found


Row = tuple[str, int, str, str, str]


def register(
    url: str, base: str, size: int, args: argparse.Namespace, add: Callable[[str, str, str], None]
) -> None:
    """Fill the empty registry at ``url`` with ``size`` products, timed: ``--register``
    of them through the service, the rest written by the store."""
    through = min(size, args.register)
    seconds = asyncio.run(register_in_process(url, base, through, args.concurrency))
    add(f"register, in process (per product, {through:,} products)",
        f"{seconds / through * 1000:.2f}", f"{seconds:.1f} s in all")  # fmt: skip
    if through < size:
        seconds = asyncio.run(write_in_process(url, base, through, size))
        add(f"the other {size - through:,} written by the store (per product)",
            f"{seconds / (size - through) * 1000:.2f}", f"{seconds:.1f} s in all")  # fmt: skip


def one_size(
    backend: str, size: int, base: str, tmp: Path, args: argparse.Namespace,
    issuer: LocalIssuer, headers: dict[str, str],
) -> list[Row]:  # fmt: skip
    """Every measure of one backend at one size, in fresh databases."""
    rows: list[Row] = []

    def add(name: str, p50: str, p99: str) -> None:
        rows.append((backend, size, name, p50, p99))

    given = args.existing.get((backend, size))
    with contextlib.ExitStack() as stack:
        if given is not None:  # filled by an earlier run against this --sim-port
            url = given
            add("registered before this run (--existing)", "–", "–")
        else:
            url = stack.enter_context(database(backend, tmp, args.postgres_dsn))
            register(url, base, size, args, add)
        if args.store_only:
            found = asyncio.run(measure_store(url, size, args.runs))
            if backend == "postgresql":
                found.update(asyncio.run(before_and_after(url, size, args.runs)))
            for name, values in found.items():
                add(name, f"{percentile(values, 0.5):.1f}", f"{percentile(values, 0.99):.1f}")
            return rows
        if size == args.http_at:
            with (
                database(backend, tmp, args.postgres_dsn) as other,
                gateway(other, tmp, issuer) as (gw, _),
            ):
                took = register_over_http(gw, base, size, headers)
            add("register, HTTP one by one (per product)", f"{took / size * 1000:.2f}",
                f"{took:.1f} s in all")  # fmt: skip
        deep = asyncio.run(deep_cursor(url, size))
        with gateway(url, tmp, issuer) as (gw, pid):
            graph = Graph(gw, headers)
            start = time.perf_counter()
            wait_health_round(graph, size)
            health = time.perf_counter() - start
            add("gateway CPU from start to its first health round done (s)",
                f"{cpu_seconds(pid):.1f}", "once")  # fmt: skip
            busy = wait_quiet(pid)
            add("then busy until quiet (s, wall)", f"{busy:.1f}", "once")
            add("gateway CPU from start to quiet (s)", f"{cpu_seconds(pid):.1f}", "once")
            warm_up(graph, deep, args.warm_up)
            for name, values in measure(
                graph, deep, args.runs, size <= args.catalog_at_most
            ).items():
                if isinstance(values, float):
                    add(name, f"{values:.0f}", "once")
                else:
                    add(name, f"{percentile(values, 0.5):.1f}", f"{percentile(values, 0.99):.1f}")
            add("first health round, checks cut to 1 ms (s)", f"{health:.1f}", "once")
            add("gateway CPU in all, at the end (s)", f"{cpu_seconds(pid):.1f}", "once")
            graph.client.close()
    return rows


def existing(spec: str) -> tuple[tuple[str, int], str]:
    """``postgresql:10000=postgresql://...`` as ((backend, size), url)."""
    where, _, url = spec.partition("=")
    backend, _, size = where.partition(":")
    return (backend, int(size)), url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per measure")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--warm-up", type=float, default=30.0,
        help="seconds of untimed requests once the gateway is quiet, before the timed ones",
    )  # fmt: skip
    parser.add_argument(
        "--register", type=int, default=10_000,
        help="products registered through the service per size; the rest written by the store",
    )  # fmt: skip
    parser.add_argument("--http-at", type=int, default=1000, help="size also registered by HTTP")
    parser.add_argument(
        "--store-only", action="store_true", help="time the registry's calls in process only"
    )
    parser.add_argument(
        "--existing", action="append", default=[], metavar="BACKEND:SIZE=URL",
        help="measure this registry (filled by an earlier run whose mesh served --sim-port) "
        "instead of filling a fresh one",
    )  # fmt: skip
    parser.add_argument("--sim-port", type=int, default=0, help="the simulated mesh's port")
    parser.add_argument(
        "--catalog-at-most", type=int, default=10_000,
        help="largest size whose SQL catalog is built and timed (its first build reads every "
        "contract from the one-process mesh: minutes at 10,000 on a loaded machine)",
    )  # fmt: skip
    parser.add_argument("--postgres-dsn", default="postgresql://postgres@127.0.0.1:55432/postgres")
    args = parser.parse_args()
    args.existing = dict(map(existing, args.existing))
    sizes = [int(s) for s in args.sizes.split(",")]
    rows: list[Row] = []
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder, sim_mesh(max(sizes), args.sim_port) as base:
        tmp = Path(folder)
        issuer = LocalIssuer.create(tmp / "auth", name="bench")
        headers = {"Authorization": f"Bearer {issuer.token('bench', ['admin'], ttl=7200)}"}
        for backend in args.backends.split(","):
            for size in sizes:
                found = one_size(backend, size, base, tmp, args, issuer, headers)
                rows += found
                done = time.perf_counter() - began
                print(f"{backend} {size}: done at {done:.0f} s", file=sys.stderr, flush=True)
                for row in found:  # as it goes: a long run stopped keeps what it measured
                    print("| " + " | ".join(map(str, row)) + " |", file=sys.stderr, flush=True)
    print(f"\n{', '.join(map(str, sizes))} simulated products; {args.runs} runs per measure; "
          f"{time.perf_counter() - began:.0f} s in all\n")  # fmt: skip
    print("| backend | products | measure | p50 ms | p99 ms |")
    print("|---|--:|---|--:|--:|")
    for backend, size, name, p50, p99 in rows:
        print(f"| {backend} | {size:,} | {name} | {p50} | {p99} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
