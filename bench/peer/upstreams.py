"""The 9 demo product gateways as upstreams, and their own request counters.

They start as ``demo/mesh.py up`` starts them (``meshgate product serve FOLDER``, here as
``python -m productkit serve FOLDER`` from this checkout, one per product, on 127.0.0.1),
each on a free port; the kit's state is kept in memory so a run
never touches the product folders' state files.

Upstream calls are counted by the products themselves: each kit counts every answered
request per route in ``/observe/metrics`` (productkit/metrics.py). The difference of the
sums before and after a window, without the reads of ``/observe/metrics`` itself, is the
number of calls that reached the products; nothing stands between a gateway and them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.peer.procs import Started, answers_get, free_port, start, wait_until

ROOT = Path(__file__).resolve().parents[2]
METRICS_ROUTE = "/observe/metrics"


@dataclass(frozen=True)
class Product:
    """One running product gateway."""

    slug: str
    base: str

    @property
    def metadata(self) -> str:
        return f"{self.base}/discover/metadata"

    @property
    def health(self) -> str:
        return f"{self.base}/observe/health"

    @property
    def openapi(self) -> str:
        return f"{self.base}/discover/openapi.json"


def product_env() -> dict[str, str]:
    """The environment of the products (and the meshgate gateways): loopback allowed."""
    env = {**os.environ, "MESHGATE_PRODUCT_TOKEN": "bench-token"}
    env["MESHGATE_PRODUCT_STATE_PATH"] = ":memory:"
    env["MESHGATE_UPSTREAM_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    env["MESHGATE_PRODUCT_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    return env


@contextmanager
def running_products(logs: Path, timeout: float = 90.0) -> Iterator[list[Product]]:
    """Start every demo product; stop them all on the way out."""
    from demo.mesh import product_dirs  # the demo's own list of its products

    started: list[tuple[Started, Product]] = []
    try:
        for folder in product_dirs():
            port = free_port()
            # `-m` from the checkout (not the `meshgate` script): its code is measured.
            cmd = [sys.executable, "-m", "productkit", "serve", str(folder), "--host",
                   "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
            proc = start(f"product-{folder.name}", cmd, cwd=ROOT, env=product_env(), logs=logs)
            started.append((proc, Product(folder.name, f"http://127.0.0.1:{port}")))
        for proc, product in started:
            wait_until(proc, answers_get(product.metadata), timeout, "its metadata")
        yield [product for _, product in started]
    finally:
        for proc, _ in started:
            proc.stop()


def calls_so_far(client: httpx.Client, products: list[Product]) -> int:
    """Requests the products have answered so far, their metrics reads left out."""
    total = 0
    for product in products:
        answer = client.get(f"{product.base}{METRICS_ROUTE}")
        answer.raise_for_status()
        by_route: Mapping[str, int] = answer.json()["requests"]["byRoute"]
        total += sum(n for route, n in by_route.items() if route != METRICS_ROUTE)
    return total
