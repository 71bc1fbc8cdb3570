"""Faults of real product gateways, seen through the graph, on loopback.

Real product gateways (the kit, serving demo products) run under uvicorn behind a
switch that makes one of them down (its server stopped), slow (past the total timeout),
drip its answer a byte at a time, answer garbage or JSON nested 100,000 levels deep, or
flap. The gateway under uvicorn is asked for products with their contracts and health:
the healthy products answer, each failing one is named in the errors with a stable code,
and the breaker lets a product back in once it has recovered.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.settings import Settings
from productkit.http.app import create_product_app
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import demo_product_dirs

FIELDS = "id key versions { version outputPorts { contract { name } } } health { status }"
QUERY = f"{{ products(first: 50) {{ edges {{ node {{ {FIELDS} }} }} }} }}"

HEALTHY = ["us-precipitation", "city-temperatures"]
FAULTS = {  # product folder -> (fault, the code its errors must carry)
    "france-precipitation": ("down", "UPSTREAM_UNAVAILABLE"),
    "global-precipitation": ("slow", "UPSTREAM_TIMEOUT"),
    "metropolitan-temperatures": ("drip", "UPSTREAM_TIMEOUT"),
    "flood-areas": ("garbage", "UPSTREAM_UNAVAILABLE"),
    "nyc-air-quality": ("deep", "UPSTREAM_UNAVAILABLE"),
}
FLAPPY = "physical-risk"

TOTAL_TIMEOUT = 1.5  # seconds; "slow" and "drip" take far longer
COOLDOWN = 1.5
THRESHOLD = 3


class Switch:
    """A real product gateway whose answers the test turns into a fault at run time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.mode = "ok"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.mode == "ok":
            await self.app(scope, receive, send)
            return
        await receive()  # the (empty) GET body; the next message is the disconnect
        if self.mode == "slow":
            if not await gone_within(receive, 10 * TOTAL_TIMEOUT):
                await answer(send, 200, b"{}")
        elif self.mode == "drip":
            await start(send, 200)
            for byte in b'{"a": "' + b"x" * 200 + b'"}':
                await send({"type": "http.response.body", "body": bytes([byte]), "more_body": True})
                if await gone_within(receive, 0.1):  # each byte in time, the whole never
                    return
            await send({"type": "http.response.body", "body": b""})
        elif self.mode == "garbage":
            await answer(send, 200, b"<html><body>Bad gateway</body></html>")
        elif self.mode == "deep":
            await answer(send, 200, b"[" * 100_000 + b"]" * 100_000)
        else:  # "error"
            await answer(send, 500, b'{"error": {"message": "boom"}}')


async def gone_within(receive: Receive, seconds: float) -> bool:
    """Whether the client hung up within ``seconds`` (so a fault never outlives its call)."""
    try:
        async with asyncio.timeout(seconds):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        return False
    return True


async def start(send: Send, status: int) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})


async def answer(send: Send, status: int, body: bytes) -> None:
    await start(send, status)
    await send({"type": "http.response.body", "body": body})


class Product:
    """One product gateway that can be stopped and brought back on the same port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.switch = Switch(create_product_app(folder, token="t", env={}))
        self.id = str(yaml.safe_load((folder / "product.yaml").read_text())["id"])
        self._stack = contextlib.ExitStack()
        self.url = self._stack.enter_context(running(self.switch))

    def stop(self) -> None:
        self._stack.close()

    def start_again(self) -> None:
        # A new app: a stopped one has closed its stores for good, as a real restart does.
        self.switch.app = create_product_app(self.folder, token="t", env={})
        self._stack = contextlib.ExitStack()
        port = int(self.url.rsplit(":", 1)[1])
        assert self._stack.enter_context(running(self.switch, port=port)) == self.url


class Mesh:
    def __init__(self, gateway: str, products: dict[str, Product], issuer: TestIssuer) -> None:
        self.gateway, self.products, self.issuer = gateway, products, issuer

    def query(self, query: str = QUERY) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.gateway}/graphql",
            json={"query": query},
            headers=self.issuer.headers(),
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    tmp = tmp_path_factory.mktemp("faults")
    dirs = {d.name: d for d in demo_product_dirs()}
    with contextlib.ExitStack() as stack:
        products: dict[str, Product] = {}
        for name in [*HEALTHY, *FAULTS, FLAPPY]:
            products[name] = product = Product(dirs[name])
            stack.callback(lambda p=product: p.stop())
        issuer = TestIssuer(tmp / "auth")
        settings = Settings(
            registry_url=f"sqlite:///{tmp / 'registry.db'}",
            upstream_allowed_networks=LOOPBACK_ONLY,
            cache_ttl_seconds=0,  # every query asks the products...
            stale_ttl_seconds=0,  # ...and no stale copy hides a fault
            upstream_read_timeout=10 * TOTAL_TIMEOUT,  # only the total timeout cuts
            upstream_total_timeout=TOTAL_TIMEOUT,
            upstream_breaker_threshold=THRESHOLD,
            upstream_breaker_cooldown_seconds=COOLDOWN,
            **issuer.settings(),
        )
        gateway = stack.enter_context(running(create_app(settings)))
        for product in products.values():
            registered = httpx.post(
                f"{gateway}/registry/products",
                json={"url": f"{product.url}/discover/metadata"},
                headers=issuer.headers(),
                timeout=30,
            )
            assert registered.status_code == 201, registered.text
        yield Mesh(gateway, products, issuer)


def nodes(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["node"]["id"]: e["node"] for e in body["data"]["products"]["edges"]}


def errors_of(body: dict[str, Any], product_id: str) -> list[dict[str, Any]]:
    return [e for e in body.get("errors", []) if e["extensions"].get("productId") == product_id]


@contextlib.contextmanager
def faults(mesh: Mesh) -> Iterator[None]:
    """Every product of FAULTS in its fault for the block, then back."""
    for name, (fault, _) in FAULTS.items():
        if fault == "down":
            mesh.products[name].stop()
        else:
            mesh.products[name].switch.mode = fault
    try:
        yield
    finally:
        for name, (fault, _) in FAULTS.items():
            if fault == "down":
                mesh.products[name].start_again()
            mesh.products[name].switch.mode = "ok"


def test_healthy_products_answer_and_each_failing_one_is_named(mesh: Mesh) -> None:
    with faults(mesh):
        started = time.monotonic()
        body = mesh.query()
        elapsed = time.monotonic() - started
    listed = nodes(body)
    for name in HEALTHY:
        node = listed[mesh.products[name].id]
        assert node["versions"][0]["outputPorts"][0]["contract"]["name"], name
        assert node["health"]["status"], name
        assert not errors_of(body, mesh.products[name].id), name
    for name, (fault, code) in FAULTS.items():
        node = listed[mesh.products[name].id]
        assert node["versions"] is None, fault
        # Health still answers: the gateway's verdict on a product that does not answer.
        assert node["health"]["status"] == "DOWN", fault
        errors = errors_of(body, mesh.products[name].id)
        assert errors, f"the {fault} product is not named in the errors"
        assert {e["extensions"]["code"] for e in errors} == {code}, fault
    # Nothing else went wrong: every error names a failing product, none is internal.
    named = {e["extensions"].get("productId") for e in body["errors"]}
    assert named == {mesh.products[name].id for name in FAULTS}
    # The faults ran concurrently, each cut by the one total timeout.
    assert elapsed < 4 * TOTAL_TIMEOUT


def test_the_breaker_lets_a_product_back_in_once_it_recovers(mesh: Mesh) -> None:
    flappy = mesh.products[FLAPPY]

    def flappy_errors() -> list[dict[str, Any]]:
        return errors_of(mesh.query(one(flappy)), flappy.id)

    assert not flappy_errors()
    flappy.stop()
    # Each document read and failed counts, and a query reads the metadata and the
    # health link at once: the breaker opens within THRESHOLD queries, not before the
    # first has failed.
    silent = {"product gateway did not answer with its document"}
    assert {e["message"] for e in flappy_errors()} == silent
    for _ in range(THRESHOLD - 1):
        blocked = flappy_errors()
        if not {e["message"] for e in blocked} & silent:
            break
    blocked = flappy_errors()  # open: refused at once, still named and coded
    assert {(e["extensions"]["code"], e["message"]) for e in blocked} == {
        ("UPSTREAM_UNAVAILABLE", "product gateway is failing; not retried for a few seconds")
    }
    # Back, but answering JSON too deeply nested: the trial fails, with a code.
    flappy.switch.mode = "deep"
    flappy.start_again()
    time.sleep(COOLDOWN + 0.1)
    trial = flappy_errors()
    assert {(e["extensions"]["code"], e["message"]) for e in trial} == {
        ("UPSTREAM_UNAVAILABLE", "product gateway did not answer with its document")
    }
    # Recovered: after one more cooldown the next trial goes through and closes it.
    flappy.switch.mode = "ok"
    time.sleep(COOLDOWN + 0.1)
    body = mesh.query(one(flappy))
    assert not errors_of(body, flappy.id)
    node = body["data"]["product"]
    assert node["versions"][0]["outputPorts"][0]["contract"]["name"]
    assert node["health"]["status"]


def test_a_flapping_product_answers_when_up_and_is_named_when_down(mesh: Mesh) -> None:
    flappy = mesh.products[FLAPPY]
    for round in range(3):
        flappy.switch.mode = "error"
        down = mesh.query(one(flappy))
        codes = {e["extensions"]["code"] for e in errors_of(down, flappy.id)}
        assert codes == {"UPSTREAM_UNAVAILABLE"}, round
        assert down["data"]["product"]["versions"] is None
        flappy.switch.mode = "ok"
        up = mesh.query(one(flappy))
        assert "errors" not in up, (round, up.get("errors"))
        assert up["data"]["product"]["versions"][0]["outputPorts"][0]["contract"]["name"]


def one(product: Product) -> str:
    """The query for ``product`` alone (the other products' faults take no time)."""
    return f'{{ product(id: "{product.id}") {{ {FIELDS} }} }}'
