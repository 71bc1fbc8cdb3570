"""The gateways under load: meshgate (cache warm, no cache) and Hive Gateway (default and
Rust router runtimes), each one process on a free loopback port.

meshgate runs as ``meshgate serve`` with an in-memory registry into which the demo
products are registered (as ``demo/mesh.py up`` does), per-caller limits off (rate and
requests in flight: every wrk connection is the same caller, and the benchmark measures
the gateway, not its limits). Hive Gateway serves the composed
supergraph; ``--hive-router-runtime`` (HIVE_ROUTER_RUNTIME) switches it to the Rust query
planner of Hive Router (package @graphql-hive/router-runtime).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.peer.install import BIN, PEER
from bench.peer.procs import Started, answers_get, free_port, start, wait_until
from bench.peer.upstreams import ROOT, Product, product_env

MESHGATE_WARM = "meshgate, cache warm (TTL 15 s)"
MESHGATE_COLD = "meshgate, no cache (TTL 0)"
HIVE_ROUTER = "Hive Gateway, Rust router runtime"
HIVE_DEFAULT = "Hive Gateway, default runtime"
DIRECT = "direct client, 18 GETs, no gateway"
ORDER = (MESHGATE_WARM, MESHGATE_COLD, HIVE_ROUTER, HIVE_DEFAULT, DIRECT)
ROUTER_ADDON = "hive_router_query_planner"


@dataclass(frozen=True)
class Gateway:
    label: str
    url: str
    process: Started


def start_meshgate(
    label: str,
    ttl: float,
    products: list[Product],
    logs: Path,
    timeout: float = 90.0,
    *,
    workers: int = 1,
    root: Path = ROOT,
    extra_env: Mapping[str, str] | None = None,
) -> Gateway:
    """``meshgate serve --workers N`` with cache TTL ``ttl`` and ``extra_env`` on top (another
    registry, the Redis cache), the demo products registered; the code of the checkout at
    ``root`` (another one than this: a version to compare with)."""
    from gateway.identity.local_issuer import LocalIssuer

    issuer = LocalIssuer.create(ROOT / ".run" / "peer-bench-auth", name="meshgate-bench")
    port = free_port()
    env = product_env()
    env.update({
        "MESHGATE_REGISTRY_URL": "sqlite://:memory:", "MESHGATE_LOG_LEVEL": "warning",
        "MESHGATE_RATE_LIMIT_PER_MINUTE": "0", "MESHGATE_MAX_CONCURRENT_REQUESTS": "0",
        "MESHGATE_CACHE_TTL_SECONDS": f"{ttl:g}",
        "MESHGATE_AUTH_ISSUERS_FILE": str(issuer.issuers_file), **(extra_env or {}),
    })  # fmt: skip
    name = "meshgate-ttl" + f"{ttl:g}" + (f"-workers{workers}" if workers > 1 else "")
    name += "" if root == ROOT else "-before"
    # `meshgate serve` as `python -m gateway.cli` from the checkout: the `meshgate` script
    # would import the package where it was installed, not the code under test.
    cmd = [sys.executable, "-m", "gateway.cli", "serve", "--host", "127.0.0.1",
           "--port", str(port)]  # fmt: skip
    if workers > 1:  # a version before --workers runs with one process only
        cmd += ["--workers", str(workers)]
    if root != ROOT:  # that checkout's code first, never this one's
        paths = (str(root), (extra_env or {}).get("PYTHONPATH", ""))
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    proc = start(name, cmd, cwd=root, env=env, logs=logs)
    base = f"http://127.0.0.1:{port}"
    admin = {"Authorization": f"Bearer {issuer.token('bench-admin', ['admin'], ttl=86400)}"}
    with stopped_on_failure(proc):
        wait_until(proc, answers_get(f"{base}/healthz"), timeout, "/healthz")
        for p in products:
            answer = httpx.post(f"{base}/registry/products", json={"url": p.metadata},
                                headers=admin, timeout=30)  # fmt: skip
            if answer.status_code != 201:
                raise SystemExit(f"{label}: registering {p.slug} failed: {answer.text[:500]}")
    return Gateway(label, f"{base}/graphql", proc)


def start_hive(label: str, supergraph: Path, router: bool, logs: Path,
               timeout: float = 120.0) -> Gateway:  # fmt: skip
    """Hive Gateway on ``supergraph``; with the Rust router runtime when ``router``."""
    port = free_port()
    cmd = [str(BIN / "hive-gateway"), "supergraph", str(supergraph),
           "--host", "127.0.0.1", "--port", str(port), "--fork", "1"]  # fmt: skip
    if router:
        cmd.append("--hive-router-runtime")
    env = {**product_env(), "NODE_ENV": "production"}
    # As deployed (NODE_ENV=production), one process like meshgate; only the flag decides
    # the runtime.
    for variable in ("HIVE_ROUTER_RUNTIME", "FORK"):
        env.pop(variable, None)
    name = "hive-router" if router else "hive-default"
    proc = start(name, cmd, cwd=PEER / ".generated", env=env, logs=logs)
    base = f"http://127.0.0.1:{port}"
    with stopped_on_failure(proc):
        wait_until(proc, answers_get(f"{base}/readiness"), timeout, "/readiness")
        if router and not uses_router_addon(proc):
            raise RuntimeError("the Rust query planner was not loaded")
    return Gateway(label, f"{base}/graphql", proc)


@contextmanager
def stopped_on_failure(proc: Started) -> Iterator[None]:
    """Stop ``proc`` if its start fails (once started, the caller stops it)."""
    try:
        yield
    except BaseException:
        proc.stop()
        raise


def uses_router_addon(proc: Started) -> bool:
    """The process has Hive Router's native query planner mapped (it really runs it)."""
    try:
        maps = Path(f"/proc/{proc.pid}/maps").read_text()
    except OSError:
        return False
    return ROUTER_ADDON in maps
