"""A gateway under uvicorn with the precipitation products, for the WebSocket tests; the
test drives its services on the server's own event loop (:meth:`Gateway.call`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.services import Services
from gateway.settings import Settings
from productkit.http.app import create_product_app
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import DEMO

T = TypeVar("T")
PRECIPITATION = ("us-precipitation", "france-precipitation", "global-precipitation")


class LoopOf:
    """The app, remembering the event loop it runs on (its lifespan runs there first)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.loop = asyncio.get_running_loop()
        await self.app(scope, receive, send)


@dataclass
class Gateway:
    base: str
    app: Any
    wrapped: LoopOf
    issuer: TestIssuer
    ids: dict[str, str] = field(default_factory=dict)  # product folder name -> id

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    def call(self, make: Callable[[], Awaitable[T]], timeout: float = 20.0) -> T:
        """Run ``make()`` on the server's loop (where its services live)."""
        assert self.wrapped.loop is not None

        async def run() -> T:
            return await make()

        return asyncio.run_coroutine_threadsafe(run(), self.wrapped.loop).result(timeout)

    def bearer(self, subject: str, roles: tuple[str, ...] = ()) -> str:
        return f"Bearer {self.issuer.token(subject, roles)}"

    def wait_subscribers(self, count: int, timeout: float = 20.0) -> None:
        """Until this process's bus has ``count`` open subscriptions."""
        deadline = time.monotonic() + timeout
        while self.services.notifier.bus.subscribers != count:
            if time.monotonic() > deadline:
                found = self.services.notifier.bus.subscribers
                raise AssertionError(f"waited {timeout} s for {count} subscribers; {found}")
            time.sleep(0.01)


@contextlib.contextmanager
def serve_gateway(tmp: Path, issuer: TestIssuer, **settings: Any) -> Iterator[Gateway]:
    settings.setdefault("upstream_allowed_networks", LOOPBACK_ONLY)
    settings.setdefault("registry_url", f"sqlite:///{tmp / 'registry.db'}")
    served = Settings(**{**issuer.settings(), **settings})
    app = create_app(served)
    wrapped = LoopOf(app)
    # On the event loop `meshgate serve` would run (MESHGATE_EVENT_LOOP, asyncio's own
    # unless set), so that the live subscriptions are tested on the loop they are served on.
    with running(wrapped, loop=served.event_loop) as base:
        yield Gateway(base, app, wrapped, issuer)


@contextlib.contextmanager
def start_kits(names: tuple[str, ...] = PRECIPITATION) -> Iterator[dict[str, str]]:
    with contextlib.ExitStack() as stack:
        yield {
            name: stack.enter_context(running(create_product_app(DEMO / name, token="t", env={})))
            for name in names
        }


def register(gateway: Gateway, kits: dict[str, str]) -> dict[str, str]:
    """Register every kit through the gateway's REST route; name -> product id."""
    ids = {}
    for name, base in kits.items():
        answer = httpx.post(
            f"{gateway.base}/registry/products",
            json={"url": f"{base}/discover/metadata"},
            headers=gateway.issuer.headers(),
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        ids[name] = answer.json()["id"]
    return ids


@pytest.fixture(scope="module")
def kits() -> Iterator[dict[str, str]]:
    with start_kits() as started:
        yield started


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> TestIssuer:
    return TestIssuer(tmp_path_factory.mktemp("auth"))
