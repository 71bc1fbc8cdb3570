#!/usr/bin/env python3
"""The HTTP client under concurrency: CPU per call and calls per second of the ways the
gateway could read product documents, side by side in one run (issue 10).

    .venv/bin/python bench/http_clients.py [--rounds 200] [--parallel 1 4] [--repeats 3]

Starts the 9 demo product gateways on 127.0.0.1 (as bench/peer_gateways.py does) and,
in this process, reads their 18 documents (each product's metadata and health) at once,
``--rounds`` times, with ``--parallel`` such rounds in flight together (18 or 72 GETs in
flight), through each client variant in turn, interleaved, ``--repeats`` times:

- ``httpx, as configured``: :func:`gateway.upstream.create_http_client` (httpx over the
  document transport, :mod:`gateway.net.document_transport`) and
  :func:`gateway.upstream.read.fetch_document`, what the gateway runs;
- ``httpx + httpcore, guarded``: the same read through the guarded httpcore transport
  (:func:`gateway.net.transport.guarded_client`), what the gateway ran before;
- ``httpx, unguarded``: the same read through httpx's own transport (no address check),
  to show what the guard costs;
- ``aiohttp``: ``aiohttp.ClientSession`` behind the same read (one deadline, a byte cap,
  the nesting bound) and the same address policy (:class:`GuardedResolver`, literal
  addresses checked before the request, no redirects, no proxies from the environment).

CPU is this process's (``time.process_time``): the client's cost, the products' own is
theirs. Prints the medians and the ratios against ``httpx, as configured``. Needs
``demo/data`` (``make demo-data``).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import socket
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the repo's packages and bench.peer

from bench.peer.upstreams import running_products  # noqa: E402
from gateway.errors import UpstreamAddressRefused  # noqa: E402
from gateway.net.addresses import AddressPolicy  # noqa: E402
from gateway.net.guard import REFUSED_MESSAGE, system_resolver  # noqa: E402
from gateway.net.transport import GuardedTransport, guarded_client  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from gateway.upstream import create_http_client  # noqa: E402
from gateway.upstream.jsondoc import decode  # noqa: E402
from gateway.upstream.read import Answer, fetch_document  # noqa: E402

RUN = ROOT / ".run" / "http-clients"
MAX_BYTES = 8 * 1024 * 1024
DEADLINE = 5.0
Fetch = Callable[[str], Awaitable[Answer]]
Variant = Callable[[Settings], AbstractAsyncContextManager[Fetch]]


@asynccontextmanager
async def httpx_configured(settings: Settings) -> AsyncIterator[Fetch]:
    async with create_http_client(settings) as http:

        async def fetch(url: str) -> Answer:
            return await fetch_document(http, url, what="bench", max_bytes=MAX_BYTES)

        yield fetch


@asynccontextmanager
async def httpx_httpcore(settings: Settings) -> AsyncIterator[Fetch]:
    policy = AddressPolicy.of(settings.upstream_allowed_networks)
    limits = httpx.Limits(
        max_connections=settings.upstream_max_connections,
        max_keepalive_connections=settings.upstream_max_connections,
    )
    timeout = httpx.Timeout(settings.upstream_read_timeout)
    async with guarded_client(policy, timeout=timeout, limits=limits) as http:

        async def fetch(url: str) -> Answer:
            return await fetch_document(http, url, what="bench", max_bytes=MAX_BYTES)

        yield fetch


@asynccontextmanager
async def httpx_unguarded(settings: Settings) -> AsyncIterator[Fetch]:
    limits = httpx.Limits(
        max_connections=settings.upstream_max_connections,
        max_keepalive_connections=settings.upstream_max_connections,
    )
    async with httpx.AsyncClient(
        limits=limits, timeout=settings.upstream_read_timeout, follow_redirects=False,
        trust_env=False,
    ) as http:  # fmt: skip

        async def fetch(url: str) -> Answer:
            return await fetch_document(http, url, what="bench", max_bytes=MAX_BYTES)

        yield fetch


class PerOriginTransport(httpx.AsyncBaseTransport):
    """One guarded pool per origin: the pool's scans cover that origin's connections."""

    def __init__(self, policy: AddressPolicy, limits: httpx.Limits) -> None:
        self._policy, self._limits = policy, limits
        self._pools: dict[tuple[bytes, bytes, int | None], GuardedTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = (request.url.raw_scheme, request.url.raw_host, request.url.port)
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = GuardedTransport(self._policy, limits=self._limits)
        return await pool.handle_async_request(request)

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()


@asynccontextmanager
async def httpx_per_origin(settings: Settings) -> AsyncIterator[Fetch]:
    policy = AddressPolicy.of(settings.upstream_allowed_networks)
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(
        transport=PerOriginTransport(policy, limits), timeout=settings.upstream_read_timeout,
        follow_redirects=False, trust_env=False,
    ) as http:  # fmt: skip

        async def fetch(url: str) -> Answer:
            return await fetch_document(http, url, what="bench", max_bytes=MAX_BYTES)

        yield fetch


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver with the gateway's address policy: every address checked."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await system_resolver(host, port)
        if not addresses or any(not self.policy.allows(a) for a in addresses):
            raise UpstreamAddressRefused(REFUSED_MESSAGE)
        return [
            ResolveResult(
                hostname=host,
                host=a,
                port=port,
                proto=0,
                flags=socket.AI_NUMERICHOST,
                family=socket.AF_INET6 if ":" in a else socket.AF_INET,
            )  # fmt: skip
            for a in addresses
        ]

    async def close(self) -> None:
        return None


@asynccontextmanager
async def aiohttp_guarded(settings: Settings) -> AsyncIterator[Fetch]:
    policy = AddressPolicy.of(settings.upstream_allowed_networks)
    connector = aiohttp.TCPConnector(
        limit=settings.upstream_max_connections, resolver=GuardedResolver(policy),
        use_dns_cache=False,
    )  # fmt: skip
    timeout = aiohttp.ClientTimeout(
        total=DEADLINE,
        sock_connect=settings.upstream_connect_timeout,
        sock_read=settings.upstream_read_timeout,
    )
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, trust_env=False, auto_decompress=True
    ) as session:

        async def fetch(url: str) -> Answer:
            host = aiohttp.client.URL(url).host or ""
            try:  # aiohttp connects to an address literal without asking the resolver
                if not policy.allows(ipaddress.ip_address(host)):
                    raise UpstreamAddressRefused(REFUSED_MESSAGE)
            except ValueError:
                pass
            async with (
                asyncio.timeout(DEADLINE),
                session.get(url, allow_redirects=False) as response,
            ):
                body = bytearray()
                async for chunk in response.content.iter_chunked(65536):
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise ValueError("too large")
            if response.status != 200:
                raise ValueError(f"HTTP {response.status}")
            return Answer(decode(bytes(body)), len(body))

        yield fetch


VARIANTS: dict[str, Variant] = {
    "httpx, as configured": httpx_configured,
    "httpx + httpcore, guarded": httpx_httpcore,
    "httpx, unguarded": httpx_unguarded,
    "httpx, a pool per origin": httpx_per_origin,
    "aiohttp": aiohttp_guarded,
}
REFERENCE = "httpx, as configured"


async def measure(variant: Variant, urls: list[str], rounds: int, parallel: int) -> dict[str, Any]:
    """``rounds`` rounds of every URL at once, ``parallel`` rounds in flight together."""
    settings = Settings(upstream_allowed_networks="127.0.0.1/32")
    async with variant(settings) as fetch:
        await asyncio.gather(*(fetch(u) for u in urls))  # connections opened, unmeasured
        left, errors = rounds, []

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                found = await asyncio.gather(*(fetch(u) for u in urls), return_exceptions=True)
                errors.extend(repr(e) for e in found if isinstance(e, BaseException))

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(parallel)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    calls = rounds * len(urls)
    return {"calls_per_s": calls / wall, "cpu_us_per_call": cpu / calls * 1e6,
            "errors": len(errors), "first_error": errors[0] if errors else None}  # fmt: skip


def table(results: dict[tuple[str, int], list[dict[str, Any]]], parallel: list[int]) -> str:
    lines = [
        "| client | GETs in flight | calls/s | CPU µs per call | calls/s vs httpx now "
        "| CPU per call vs httpx now | errors |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for p in parallel:
        ref = results[(REFERENCE, p)]
        ref_rate = statistics.median(r["calls_per_s"] for r in ref)
        ref_cpu = statistics.median(r["cpu_us_per_call"] for r in ref)
        for name in VARIANTS:
            runs = results[(name, p)]
            rate = statistics.median(r["calls_per_s"] for r in runs)
            cpu = statistics.median(r["cpu_us_per_call"] for r in runs)
            lines.append(
                f"| {name} | {p * 18} | {rate:.0f} | {cpu:.0f} | {rate / ref_rate:.2f} "
                f"| {cpu / ref_cpu:.2f} | {sum(r['errors'] for r in runs)} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="rounds of 18 GETs (200)")
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 4],
                        help="rounds in flight together (1 4)")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repetitions (3)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not (ROOT / "demo" / "data").exists():
        raise SystemExit("demo/data is missing: run `make demo-data` first")
    results: dict[tuple[str, int], list[dict[str, Any]]] = {}
    with running_products(RUN) as products:
        urls = [u for p in products for u in (p.metadata, p.health)]
        for rep in range(args.repeats):
            for p in args.parallel:
                names = list(VARIANTS)
                shift = rep % len(names)  # rotated, so no variant always follows another
                for name in names[shift:] + names[:shift]:
                    found = asyncio.run(measure(VARIANTS[name], urls, args.rounds, p))
                    results.setdefault((name, p), []).append(found)
                    print(f"[{rep + 1}/{args.repeats}] {name}, {p * len(urls)} in flight: "
                          f"{found['calls_per_s']:.0f} calls/s, "
                          f"{found['cpu_us_per_call']:.0f} µs CPU per call"
                          + (f", {found['errors']} errors (first: {found['first_error']})"
                             if found["errors"] else ""), flush=True)  # fmt: skip
    print(f"\n{len(urls)} documents of {len(products)} products, {args.rounds} rounds, "
          f"medians of {args.repeats}\n")  # fmt: skip
    print(table(results, args.parallel))
    return 0


if __name__ == "__main__":
    sys.exit(main())
