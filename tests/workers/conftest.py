"""Two gateway processes (``meshgate serve --workers 2``) over a real PostgreSQL
registry, the real Redis, and demo product gateways under uvicorn."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from productkit.http.app import create_product_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running, stop_soon
from tests.graph.conftest import demo_product_dirs
from tests.workers.processes import Pinned, Workers, serve_workers

TRIO = ["us-precipitation", "france-precipitation", "global-precipitation"]


class Kits:
    """The product gateways of a test, by folder name; each can be stopped."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self._stack = stack
        self.bases: dict[str, str] = {}
        self._stacks: dict[str, contextlib.ExitStack] = {}

    @staticmethod
    def app(name: str) -> ASGIApp:
        """The product gateway app of demo folder ``name``."""
        folder = {d.name: d for d in demo_product_dirs()}[name]
        return create_product_app(folder, token="t", env={})

    def start(self, name: str, app: ASGIApp | None = None) -> str:
        """Serve ``app`` (default: :meth:`app`) as product ``name``; its base URL."""
        own = contextlib.ExitStack()
        self._stack.callback(own.close)
        self.bases[name] = own.enter_context(running(app or self.app(name)))
        self._stacks[name] = own
        return self.bases[name]

    def stop(self, name: str) -> None:
        self._stacks.pop(name).close()

    def requests(self, name: str) -> dict[str, int]:
        """The product's own count of requests served, by route."""
        answer = httpx.get(f"{self.bases[name]}/observe/metrics", timeout=30).json()
        counts: dict[str, int] = answer["requests"]["byRoute"]
        return counts


@pytest.fixture
def kits() -> Iterator[Kits]:
    with contextlib.ExitStack() as stack:
        found = Kits(stack)
        yield found
        stop_soon(*found.bases.values())


@pytest.fixture
def two_gateways(
    tmp_path: Path, fresh_postgres_dsn: str, redis_url: str
) -> Iterator[Callable[..., tuple[Workers, TestIssuer]]]:
    """A factory: ``two_gateways(**settings)`` starts ``meshgate serve --workers 2``
    sharing a fresh PostgreSQL registry, Redis (a channel of its own) and the trusted
    test issuer; stopped after the test."""
    with contextlib.ExitStack() as stack:

        def start(**settings: Any) -> tuple[Workers, TestIssuer]:
            issuer = TestIssuer(tmp_path / f"auth-{secrets.token_hex(3)}")
            shared = {
                "registry_url": fresh_postgres_dsn, "cache_backend": "redis",
                "redis_url": redis_url, "events_bus": "redis",
                "events_redis_channel": f"meshgate:test:{secrets.token_hex(6)}",
                "upstream_allowed_networks": LOOPBACK_ONLY, "log_level": "info",
                **issuer.settings(),
            }  # fmt: skip
            return stack.enter_context(serve_workers(tmp_path, 2, **shared, **settings)), issuer

        yield start


def register(via: Pinned, issuer: TestIssuer, base: str) -> str:
    """Register the product at ``base`` through ``via``; its id."""
    status, body = via.request(
        "POST", "/registry/products", {"url": f"{base}/discover/metadata"}, issuer.headers()
    )
    assert status == 201, body
    return str(body["id"])
