"""A real ``meshgate serve`` process with products registered, for the SQL benchmarks.

The gateway is what is measured, so it runs as the production command does, in a process
of its own. The product gateways only answer the gateway's catalog (their metadata and
output contracts; the engines read the data themselves), so they are served from the
benchmark's own process, one uvicorn thread each: starting one process per product
cost more than the benchmark's tiny runs in the tests.

``code`` is the checkout whose code the gateway runs (``PYTHONPATH``) and whose
``demo/data`` its DuckDB reads unless ``MESHGATE_DATA_ROOT`` says otherwise (the working
directory): two checkouts side by side give before and after in one run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the repo's packages (tests.fixtures too)

from bench.peer.procs import free_port  # noqa: E402
from demo.mesh import wait_for  # noqa: E402
from gateway.identity.local_issuer import LocalIssuer  # noqa: E402
from productkit.http.app import create_product_app  # noqa: E402
from tests.fixtures.uvicorn import running  # noqa: E402


class Poster(Protocol):
    """What :meth:`Gateway.post` needs of a client: ``httpx.Client.post``'s shape."""

    def post(self, url: str, *, json: Any, headers: Mapping[str, str]) -> Any: ...


@dataclass
class Gateway:
    """A running ``meshgate serve`` process with the products registered."""

    pid: int
    url: str  # GraphQL endpoint
    headers: dict[str, str]  # an admin's credentials

    def post(self, client: Poster, query: str, variables: Mapping[str, Any]) -> Any:
        """The ``data`` of one GraphQL request through ``client`` (an ``httpx.Client`` or
        a :class:`bench.lean_client.LeanClient`); raises on GraphQL errors."""
        payload = {"query": query, "variables": dict(variables)}
        body = client.post(self.url, json=payload, headers=self.headers).json()
        if body.get("errors"):
            raise RuntimeError(str(body["errors"]))
        return body["data"]


@contextmanager
def serve_products(folders: Sequence[Path]) -> Iterator[list[str]]:
    """The product gateways of ``folders``, in this process; yields their metadata URLs."""
    with ExitStack() as stack:
        bases = [
            stack.enter_context(running(create_product_app(f, token="bench", env={})))
            for f in folders
        ]
        yield [f"{base}/discover/metadata" for base in bases]


@contextmanager
def serve_gateway(
    metadata_urls: Sequence[str], env: Mapping[str, str], *, code: Path = ROOT, port: int = 0
) -> Iterator[Gateway]:
    """``meshgate serve`` running ``code``'s checkout, the products at ``metadata_urls``
    registered; ``env`` adds to the benchmark's settings (``MESHGATE_*``)."""
    issuer = LocalIssuer.create(ROOT / ".run" / "bench-auth", name="meshgate-bench")
    admin = {"Authorization": f"Bearer {issuer.token('bench', ['admin'])}"}
    settings = {
        "PYTHONPATH": str(code),
        "MESHGATE_REGISTRY_URL": "sqlite://:memory:",
        "MESHGATE_LOG_LEVEL": "warning",
        "MESHGATE_AUTH_ISSUERS_FILE": str(issuer.issuers_file),
        "MESHGATE_RATE_LIMIT_PER_MINUTE": "0",  # time the gateway, not its limit
        # Everything runs here: the gateway may call 127.0.0.1, explicitly.
        "MESHGATE_UPSTREAM_ALLOWED_NETWORKS": "127.0.0.1/32",
        **env,
    }
    port = port or free_port()
    exe = str(Path(sys.executable).with_name("meshgate"))
    proc = subprocess.Popen(
        [exe, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=code, env={**os.environ, **settings},
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz", time.monotonic() + 120, proc)
        for url in metadata_urls:
            answer = httpx.post(
                f"{base}/registry/products", json={"url": url}, headers=admin, timeout=60
            )
            if answer.status_code != 201:
                raise RuntimeError(f"registering {url} failed: {answer.text}")
        yield Gateway(pid=proc.pid, url=f"{base}/graphql", headers=admin)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
