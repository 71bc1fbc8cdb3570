"""Hole 9: no caller may flood the gateway. Requests per minute and requests in flight are
limited per caller (its principal, else its address); another caller is unaffected."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.http.app import create_http_app
from gateway.http.rate_limit import caller_key
from gateway.identity import ANONYMOUS, Principal, bind
from gateway.settings import Settings
from gateway.throttle import CallerLimiter
from schema.asgi import MeshGraphQL
from schema.build import build_schema
from tests.fixtures.identity import TestIssuer

SLOW_SECONDS = 3.0


class Entered:
    """How many requests reached the slow route: a test waits on this, not on the clock,
    to know that a flood is in flight."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def add(self) -> None:
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    def reset(self) -> None:
        with self._changed:
            self._count = 0

    def wait_for(self, count: int, timeout: float = 15.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._count >= count, timeout):
                raise AssertionError(f"{self._count} requests in flight, expected {count}")


ENTERED = Entered()


async def slow(request: Request) -> Response:
    """A request that stays in flight (as a long SQL query or a slow product would)."""
    ENTERED.add()
    await asyncio.sleep(SLOW_SECONDS)
    return JSONResponse({"ok": True})


@pytest.fixture
def start(
    serve_app: Callable[[Any], str], tmp_path: Path, issuer: TestIssuer
) -> Callable[..., str]:
    """A gateway (the real app factory, authentication included) with a slow route."""

    ENTERED.reset()

    def started(**settings: Any) -> str:
        config = Settings(
            registry_url=f"sqlite:///{tmp_path / 'registry.db'}", **issuer.settings(), **settings
        )
        view = MeshGraphQL(build_schema(config), graphql_ide=None)
        return serve_app(create_http_app(config, view, extra_routes=[Route("/slow", slow)]))

    return started


async def burst(
    base: str, n: int, *, headers: dict[str, str] | None = None, local_address: str | None = None
) -> list[httpx.Response]:
    transport = httpx.AsyncHTTPTransport(local_address=local_address)
    limits = httpx.Limits(max_connections=n + 5)
    async with httpx.AsyncClient(transport=transport, limits=limits, timeout=30) as client:
        return await asyncio.gather(
            *(client.get(f"{base}/slow", headers=headers) for _ in range(n))
        )


def test_25_slow_requests_from_one_address_some_refused_another_address_served(
    start: Callable[..., str],
) -> None:
    base = start()  # defaults: 20 in flight per caller

    async def scenario() -> tuple[list[httpx.Response], list[httpx.Response]]:
        flood = asyncio.create_task(burst(base, 25, local_address="127.0.0.1"))
        await asyncio.to_thread(ENTERED.wait_for, 20)  # the flood is in flight
        other = await burst(base, 2, local_address="127.0.0.2")
        return await flood, other

    flood, other = asyncio.run(scenario())
    statuses = sorted(r.status_code for r in flood)
    assert set(statuses) == {200, 429}, statuses
    assert statuses.count(200) <= 20
    refused = next(r for r in flood if r.status_code == 429)
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert refused.json()["error"]["message"] == (
        "too many requests: more than 20 requests at once; retry after 1 s"
    )
    assert [r.status_code for r in other] == [200, 200]


def test_the_principal_is_the_caller_when_there_is_one(
    start: Callable[..., str], issuer: TestIssuer
) -> None:
    # Same address, two users: the flood of one does not reach the other.
    base = start(max_concurrent_requests=3)

    async def scenario() -> tuple[list[httpx.Response], list[httpx.Response]]:
        flood = asyncio.create_task(burst(base, 8, headers=issuer.headers("mallory", ())))
        await asyncio.to_thread(ENTERED.wait_for, 3)  # mallory's three are in flight
        other = await burst(base, 3, headers=issuer.headers("alice", ()))
        return await flood, other

    flood, other = asyncio.run(scenario())
    assert sorted(r.status_code for r in flood).count(429) >= 1
    assert sum(r.status_code == 200 for r in flood) <= 3
    assert [r.status_code for r in other] == [200, 200, 200]


def test_requests_per_minute_are_limited_with_retry_after(start: Callable[..., str]) -> None:
    base = start(rate_limit_per_minute=3)
    query = {"query": "{ domains { name } }"}
    answers = [httpx.post(f"{base}/graphql", json=query) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    # One token every 20 s: at most that long to wait (less the time the requests took).
    assert 15 <= int(answers[-1].headers["retry-after"]) <= 20
    assert answers[-1].json()["error"]["code"] == "RATE_LIMITED"
    # Health probes are not counted.
    assert [httpx.get(f"{base}/healthz").status_code for _ in range(5)] == [200] * 5


def test_zero_turns_the_limits_off(start: Callable[..., str]) -> None:
    base = start(rate_limit_per_minute=0, max_concurrent_requests=0)
    flood = asyncio.run(burst(base, 25))
    assert [r.status_code for r in flood] == [200] * 25


def test_the_bucket_refills_and_idle_callers_are_forgotten() -> None:
    now = [0.0]
    limiter = CallerLimiter(per_minute=60, concurrent=2, clock=lambda: now[0])
    for _ in range(2):
        assert limiter.admit("a") is None
    refused = limiter.admit("a")
    assert refused is not None and refused.reason == "more than 2 requests at once"
    limiter.release("a")
    limiter.release("a")
    for _ in range(58):
        assert limiter.admit("a") is None
        limiter.release("a")
    refused = limiter.admit("a")
    assert refused is not None and refused.retry_after == 1
    now[0] = 1.0  # one token back per second
    assert limiter.admit("a") is None
    limiter.release("a")
    # Thousands of one-off addresses leave no state behind once their bucket is full again.
    now[0] = 100.0
    for i in range(5000):
        now[0] += 0.01  # one new address every 10 ms: each bucket is full again 1 s later
        limiter.admit(f"address:{i}")
        limiter.release(f"address:{i}")
    assert len(limiter) < 1100


def test_caller_keys() -> None:
    user = Principal("ana", roles=frozenset({"analyst"}), issuer="https://idp")
    scope: dict[str, Any] = {"client": ("10.1.2.3", 4000)}
    assert caller_key(scope) == "address:10.1.2.3"
    bind(scope, ANONYMOUS, "r1")
    assert caller_key(scope) == "address:10.1.2.3"
    bind(scope, user, "r2")
    assert caller_key(scope) == "principal:user:https://idp:ana"
