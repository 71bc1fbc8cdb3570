"""The kit sends requests only where its operator allows (issue 6, hole 3).

Hostile callers aim the registration relay at a server of their choice, without the
control token, or at a registry on an address the operator did not allow; a subscriber
names an internal address or drips its answer. Each is refused or cut, and the servers
count what reached them.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.settings import Settings
from productkit import events, runtime
from productkit.outbound import ALLOWED_NETWORKS_ENV, REGISTRIES_ENV, REGISTRY_TOKEN_ENV
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY
from tests.product.builders import PRODUCT_ID
from tests.product.conftest import auth

Serve = Callable[[Any], str]
MakeApp = Callable[..., Starlette]


@dataclass
class Counter:
    """A registry or subscriber double that counts what it is sent."""

    url: str
    hits: list[Any] = field(default_factory=list)


@pytest.fixture
def counter(serve_app: Serve) -> Callable[[], Counter]:
    def make() -> Counter:
        hits: list[Any] = []

        async def anything(request: Request) -> Response:
            hits.append((await request.body(), request.headers.get("authorization")))
            return JSONResponse({"registered": True}, status_code=201)

        base = serve_app(Starlette(routes=[Route("/{p:path}", anything, methods=["POST"])]))
        return Counter(f"{base}/registry/products", hits)

    return make


def product(make_app: MakeApp, serve_app: Serve, product_dir: Path, **env: str) -> httpx.Client:
    return httpx.Client(base_url=serve_app(make_app(product_dir, env=env)), timeout=30)


def test_the_relay_posts_only_to_a_registry_the_operator_listed(
    make_app: MakeApp, serve_app: Serve, product_dir: Path, counter: Callable[[], Counter]
) -> None:
    listed, chosen = counter(), counter()
    env = {
        REGISTRIES_ENV: listed.url,
        ALLOWED_NETWORKS_ENV: LOOPBACK_ONLY,
        REGISTRY_TOKEN_ENV: "owner-api-key",
    }
    with product(make_app, serve_app, product_dir, **env) as client:
        answer = client.post(
            "/discover/registration", json={"registry": chosen.url}, headers=auth()
        )
        assert (answer.status_code, answer.json()["error"]["code"]) == (
            403,
            "REGISTRY_NOT_CONFIGURED",
        )
        assert chosen.url not in answer.text
        assert (listed.hits, chosen.hits) == ([], [])
        # The listed one is used, with or without being named, with the owner's credential
        # (the kit's control token is not sent on).
        ok = client.post("/discover/registration", json={"registry": listed.url}, headers=auth())
        assert ok.status_code == 201
        assert [auth_header for _, auth_header in listed.hits] == ["Bearer owner-api-key"]


@pytest.mark.parametrize(("headers", "status"), [({}, 401), (auth("wrong"), 403)])
def test_the_relay_needs_the_control_token(
    make_app: MakeApp,
    serve_app: Serve,
    product_dir: Path,
    counter: Callable[[], Counter],
    headers: dict[str, str],
    status: int,
) -> None:
    listed = counter()
    env = {REGISTRIES_ENV: listed.url, ALLOWED_NETWORKS_ENV: LOOPBACK_ONLY}
    with product(make_app, serve_app, product_dir, **env) as client:
        answer = client.post(
            "/discover/registration", json={"registry": listed.url}, headers=headers
        )
    assert answer.status_code == status
    assert listed.hits == []


def test_without_a_listed_registry_the_relay_is_off(
    make_app: MakeApp, serve_app: Serve, product_dir: Path, counter: Callable[[], Counter]
) -> None:
    target = counter()
    with product(make_app, serve_app, product_dir, **{ALLOWED_NETWORKS_ENV: LOOPBACK_ONLY}) as c:
        answer = c.post("/discover/registration", json={"registry": target.url}, headers=auth())
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "REGISTRY_NOT_CONFIGURED")
    assert target.hits == []


def test_a_listed_registry_on_an_address_not_allowed_is_not_called(
    make_app: MakeApp, serve_app: Serve, product_dir: Path, counter: Callable[[], Counter]
) -> None:
    """Listing a registry does not open its address: 127.0.0.1 needs the network setting."""
    listed = counter()
    with product(make_app, serve_app, product_dir, **{REGISTRIES_ENV: listed.url}) as client:
        answer = client.post("/discover/registration", headers=auth())
    assert (answer.status_code, answer.json()["error"]["code"]) == (
        502,
        "UPSTREAM_ADDRESS_REFUSED",
    )
    assert listed.hits == []


@contextlib.contextmanager
def dripping_server(seconds: float) -> Iterator[str]:
    """A raw HTTP server that reads a request, then drips its answer's status line and
    headers one byte every 0.1 s for ``seconds`` (no read timeout ever fires)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                head = b"HTTP/1.1 201 Created\r\nx-pad: " + b"a" * int(seconds / 0.1)
                for byte in head:
                    if stop.is_set():
                        break
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break
                    time.sleep(0.1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_the_relay_is_cut_at_its_total_deadline(
    make_app: MakeApp, serve_app: Serve, product_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "REGISTRATION_TIMEOUT_SECONDS", 1.0)
    with dripping_server(8.0) as registry:
        url = f"{registry}/registry/products"
        env = {REGISTRIES_ENV: url, ALLOWED_NETWORKS_ENV: LOOPBACK_ONLY}
        with product(make_app, serve_app, product_dir, **env) as client:
            started = time.monotonic()
            answer = client.post("/discover/registration", headers=auth())
            elapsed = time.monotonic() - started
    assert (answer.status_code, answer.json()["error"]["code"]) == (504, "UPSTREAM_TIMEOUT")
    assert elapsed < 3.0


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:9/hook", "http://169.254.169.254/latest", "http://[::1]:9/"]
)
def test_a_subscriber_on_an_internal_address_is_refused(
    make_app: MakeApp, serve_app: Serve, product_dir: Path, endpoint: str
) -> None:
    """The default kit settings allow public addresses only."""
    with product(make_app, serve_app, product_dir) as client:
        answer = client.post("/observe/events/subscriptions", json={"endpoint": endpoint})
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "BAD_REQUEST")


def wait_for_failure(client: httpx.Client, timeout: float = 8.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sub: dict[str, Any] = client.get("/observe/events/subscriptions", headers=auth()).json()[
            "subscriptions"
        ][0]
        if sub["failed"] or sub["delivered"]:
            return sub
        time.sleep(0.05)
    raise AssertionError("no delivery outcome")


def test_a_subscriber_named_by_a_loopback_host_name_gets_nothing(
    make_app: MakeApp, serve_app: Serve, product_dir: Path, counter: Callable[[], Counter]
) -> None:
    """``localhost`` passes the URL check (a name); the delivery's connection is refused."""
    hook = counter()
    by_name = hook.url.replace("127.0.0.1", "localhost")
    with product(make_app, serve_app, product_dir) as client:
        assert (
            client.post("/observe/events/subscriptions", json={"endpoint": by_name}).status_code
            == 201
        )
        assert client.post("/control/pause", headers=auth()).status_code == 200
        sub = wait_for_failure(client)
    assert (sub["delivered"], sub["failed"], sub["lastError"]) == (0, 1, "address not allowed")
    assert hook.hits == []


def test_a_dripping_subscriber_is_cut_at_the_delivery_deadline(
    make_app: MakeApp, serve_app: Serve, product_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "DELIVERY_TIMEOUT_SECONDS", 1.0)
    with dripping_server(8.0) as hook:
        env = {ALLOWED_NETWORKS_ENV: LOOPBACK_ONLY}
        with product(make_app, serve_app, product_dir, **env) as client:
            client.post("/observe/events/subscriptions", json={"endpoint": f"{hook}/x"})
            started = time.monotonic()
            assert client.post("/control/pause", headers=auth()).status_code == 200
            sub = wait_for_failure(client)
            elapsed = time.monotonic() - started
    assert (sub["failed"], sub["lastError"]) == (1, "timeout")
    assert elapsed < 3.0


def test_the_relay_registers_with_a_real_gateway_as_the_products_owner(
    make_app: MakeApp, serve_app: Serve, product_dir: Path, tmp_path: Path
) -> None:
    """End to end: the gateway asks who registers; the relay sends the owner's token."""
    issuer = TestIssuer(tmp_path / "auth")
    settings = Settings(
        registry_url=f"sqlite:///{tmp_path / 'registry.db'}",
        upstream_allowed_networks=LOOPBACK_ONLY,
        **issuer.settings(),
    )
    gateway = serve_app(create_app(settings))
    owner = issuer.token("air-owner", ["owner:air-quality"])
    env = {
        REGISTRIES_ENV: f"{gateway}/registry/products",
        ALLOWED_NETWORKS_ENV: LOOPBACK_ONLY,
        REGISTRY_TOKEN_ENV: owner,
    }
    with product(make_app, serve_app, product_dir, **env) as client:
        answer = client.post("/discover/registration", headers=auth())
    assert answer.status_code == 201, answer.text
    assert answer.json()["id"] == PRODUCT_ID
    listed = httpx.get(f"{gateway}/registry/products").json()["products"]
    assert [p["id"] for p in listed] == [PRODUCT_ID]
