"""A real mesh for the certification tests: product kits under uvicorn, a gateway under
uvicorn on the store given (SQLite file or PostgreSQL database), products registered
through the gateway's REST route, LOOPBACK_ONLY."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from gateway.settings import Settings
from productkit.http.app import create_product_app
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import Mesh


@contextlib.contextmanager
def certification_mesh(
    tmp: Path, dirs: list[Path], registry_url: str, **settings: Any
) -> Iterator[Mesh]:
    with contextlib.ExitStack() as outer:
        products: dict[str, str] = {}
        stacks: dict[str, contextlib.ExitStack] = {}
        for folder in dirs:
            stack = contextlib.ExitStack()  # one per product, so a test can stop one
            outer.callback(stack.close)
            products[folder.name] = stack.enter_context(
                running(create_product_app(folder, token="t", env={}))
            )
            stacks[folder.name] = stack
        issuer = TestIssuer(tmp / "auth")
        config = Settings(
            registry_url=registry_url,
            upstream_allowed_networks=LOOPBACK_ONLY,
            **{**issuer.settings(), **settings},
        )
        gateway = outer.enter_context(running(create_app(config)))
        ids = []
        for base in products.values():
            answer = httpx.post(
                f"{gateway}/registry/products",
                json={"url": f"{base}/discover/metadata"},
                headers=issuer.headers(),
                timeout=30,
            )
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["id"])
        mesh = Mesh(gateway, products, stacks, issuer)
        if config.certification_interval_seconds > 0:
            # Each product is certified on registration: let those first evaluations land
            # before a test counts history.
            for product_id in ids:
                wait_certified(mesh, product_id)
        yield mesh


CERTIFIED = "query($p: ID!) { product(id: $p) { certification { status history { checkedAt } } } }"


def wait_certified(mesh: Mesh, product_id: str, timeout: float = 20.0) -> dict[str, Any]:
    """The product's certification once it has been evaluated (fails after ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        body = mesh.query(CERTIFIED, {"p": product_id})
        found: dict[str, Any] = body["data"]["product"]["certification"]
        if found["status"] != "UNCHECKED":
            return found
        assert time.monotonic() < deadline, f"{product_id} still UNCHECKED"
        time.sleep(0.1)
