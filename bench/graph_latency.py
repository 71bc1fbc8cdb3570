#!/usr/bin/env python3
"""p50/p99 latency of the issue's product query through the gateway, warm cache, next to
the same documents fetched straight from the product gateways in the same run.

    .venv/bin/python bench/graph_latency.py [--runs 200]

Starts the demo mesh on spare ports (needs `demo/data`, i.e. `make demo-data`), warms
the cache, then times, alternately:
- gateway: the GraphQL query below, end to end;
- direct: what a client would do without meshgate: GET every product's metadata, then
  every output contract, concurrently, with one pooled httpx client.
Prints a table of percentiles and the ratio gateway / direct.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench.quantiles

from bench.quantiles import percentile  # noqa: E402

QUERY = """{ products(first: 50) { totalCount edges { node { id name domain owner versions {
  outputPorts { contract { schema { name properties { name logicalType quality { dimension }
  } } } } } } } } }"""


async def gateway_once(client: httpx.AsyncClient, url: str) -> float:
    start = time.perf_counter()
    answer = await client.post(url, json={"query": QUERY})
    elapsed = time.perf_counter() - start
    body = answer.json()
    assert not body.get("errors"), body.get("errors")
    return elapsed


async def direct_once(client: httpx.AsyncClient, metadata_urls: list[str]) -> float:
    start = time.perf_counter()
    metas = await asyncio.gather(*(client.get(u) for u in metadata_urls))
    hrefs = [
        port["href"]
        for m in metas
        for v in m.json()["versions"]
        for port in v["out"]
        if port.get("href")
    ]
    await asyncio.gather(*(client.get(h) for h in hrefs))
    return time.perf_counter() - start


async def measure(gateway: str, metadata_urls: list[str], runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"gateway": [], "direct": []}
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(5):  # warm-up: fills the gateway's cache and both pools
            await gateway_once(client, gateway)
            await direct_once(client, metadata_urls)
        for _ in range(runs):
            times["gateway"].append(await gateway_once(client, gateway))
            times["direct"].append(await direct_once(client, metadata_urls))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--gateway-port", type=int, default=8600)
    parser.add_argument("--first-product-port", type=int, default=8601)
    args = parser.parse_args()
    env = {
        **os.environ,
        "MESHGATE_REGISTRY_URL": "sqlite://:memory:",
        "MESHGATE_LOG_LEVEL": "warning",
        # The benchmark times the gateway, not its per-caller rate limit.
        "MESHGATE_RATE_LIMIT_PER_MINUTE": "0",
    }
    mesh = subprocess.Popen(
        [sys.executable, str(ROOT / "demo" / "mesh.py"), "up",
         "--gateway-port", str(args.gateway_port),
         "--first-product-port", str(args.first_product_port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert mesh.stdout is not None
        for line in mesh.stdout:
            if line.startswith("GraphiQL:"):
                break
        else:
            raise SystemExit("the demo mesh did not start")
        gateway = f"http://127.0.0.1:{args.gateway_port}/graphql"
        listing = httpx.get(f"http://127.0.0.1:{args.gateway_port}/registry/products").json()
        metadata_urls = [p["url"] for p in listing["products"]]
        times = asyncio.run(measure(gateway, metadata_urls, args.runs))
    finally:
        mesh.terminate()
        mesh.wait(timeout=20)
    print(f"\n{len(metadata_urls)} products, {args.runs} runs each, warm cache\n")
    print("| path    |  p50 ms |  p90 ms |  p99 ms | mean ms |")
    print("|---------|--------:|--------:|--------:|--------:|")
    for name, values in times.items():
        ms = [v * 1000 for v in values]
        print(
            f"| {name:<7} | {percentile(ms, 0.5):7.2f} | {percentile(ms, 0.9):7.2f} "
            f"| {percentile(ms, 0.99):7.2f} | {statistics.mean(ms):7.2f} |"
        )
    ratio = percentile(times["gateway"], 0.5) / percentile(times["direct"], 0.5)
    print(f"\np50 ratio gateway / direct fetch: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
