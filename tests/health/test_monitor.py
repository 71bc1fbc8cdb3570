"""The monitor and its hub: one HealthChanged per change of status, not per refresh,
against a real product kit under uvicorn and the gateway's real services."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from gateway.health import HealthChanged, HealthHub
from gateway.services import close_services, open_services
from gateway.settings import Settings
from productkit.http.app import create_product_app
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.fixtures.waiting import until
from tests.graph.conftest import DEMO


async def _changes(tmp: Path, kit: str) -> list[HealthChanged]:
    settings = Settings(
        registry_url=f"sqlite:///{tmp / 'registry.db'}",
        upstream_allowed_networks=LOOPBACK_ONLY,
        health_refresh_seconds=3600.0,  # the test drives the refreshes
    )
    services = await open_services(settings)
    try:
        monitor = services.health
        token = {"authorization": "Bearer t"}
        async with monitor.hub.subscribe() as sub, httpx.AsyncClient() as http:
            # The first verdict comes from the registration itself (no refresh asked).
            await services.registry.register(f"{kit}/discover/metadata")
            await asyncio.wait_for(monitor.follower.idle(), 30)
            assert sub.pending() == 1 and monitor.refreshes <= 1  # the one at start
            for _ in range(3):
                await monitor.refresh()
            (await http.post(f"{kit}/control/pause", headers=token)).raise_for_status()
            for _ in range(3):
                await monitor.refresh()
            (await http.post(f"{kit}/control/resume", headers=token)).raise_for_status()
            for _ in range(2):
                await monitor.refresh()
            return [await sub.get() for _ in range(sub.pending())]
    finally:
        await close_services(services)


def test_one_event_per_change_not_per_refresh(tmp_path: Path) -> None:
    app = create_product_app(DEMO / "us-precipitation", token="t", env={})
    with running(app) as kit:
        events = asyncio.run(_changes(tmp_path, kit))
    assert [(e.before, e.after) for e in events] == [
        ("UNKNOWN", "UP"),
        ("UP", "PAUSED"),
        ("PAUSED", "UP"),
    ]
    assert {e.product_key for e in events} == {"precipitation.us-precipitation"}
    assert events[1].reasons == ("PRODUCT_PAUSED",)


class _HeldResults:
    """The product's app, its next results read held (once armed) until released: a
    check that has read the health answer, then waits."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.armed, self.held, self.release = (threading.Event() for _ in range(3))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        results = scope["type"] == "http" and scope["path"].endswith("/observe/results")
        if results and self.armed.is_set():
            self.armed.clear()
            self.held.set()
            await asyncio.to_thread(self.release.wait, 30)
        await self.app(scope, receive, send)


async def _slow_check_ends_last(tmp: Path, kit: str, held: _HeldResults) -> list[HealthChanged]:
    settings = Settings(
        registry_url=f"sqlite:///{tmp / 'registry.db'}",
        upstream_allowed_networks=LOOPBACK_ONLY,
        health_refresh_seconds=3600.0,
    )
    services = await open_services(settings)
    try:
        monitor = services.health
        product = await services.registry.register(f"{kit}/discover/metadata")
        await asyncio.wait_for(monitor.follower.idle(), 30)
        async with monitor.hub.subscribe() as sub:
            held.armed.set()
            slow = asyncio.create_task(monitor.check(product))  # reads UP, then waits
            await until(held.held.is_set, "the slow check's results read held", timeout=15)
            newer = monitor.unreachable(product, "UPSTREAM_UNAVAILABLE: a request's read failed")
            assert newer.status == "DOWN"
            held.release.set()
            assert await asyncio.wait_for(slow, 30) is newer  # the newer verdict, kept
            verdict = monitor.verdict(product.id)
            assert verdict is not None and verdict.status == "DOWN"
            return [await sub.get() for _ in range(sub.pending())]
    finally:
        held.release.set()
        await close_services(services)


def test_a_check_that_began_before_the_kept_verdict_does_not_replace_it(tmp_path: Path) -> None:
    """A slow check saw UP; meanwhile a newer judgement kept DOWN. When the slow one ends,
    DOWN stays and no DOWN -> UP is published (told to subscribers as a recovery)."""
    held = _HeldResults(create_product_app(DEMO / "us-precipitation", token="t", env={}))
    with running(held) as kit:
        events = asyncio.run(_slow_check_ends_last(tmp_path, kit, held))
    assert [(e.before, e.after) for e in events] == [("UP", "DOWN")]


def _event(n: int) -> HealthChanged:
    return HealthChanged("p", "d.p", "UP", "DOWN", (), datetime(2026, 1, 1, 0, 0, n, tzinfo=UTC))


def test_each_subscriber_queue_is_bounded_and_drops_its_oldest_events() -> None:
    async def scenario() -> tuple[list[int], int, list[int], int]:
        hub = HealthHub(queue_size=3)
        async with hub.subscribe() as slow, hub.subscribe() as other:
            for n in range(5):
                hub.publish(_event(n))
            kept = [(await slow.get()).at.second for _ in range(slow.pending())]
            got = [(await other.get()).at.second for _ in range(2)]
            return kept, slow.dropped, got, hub.subscribers

    kept, dropped, got, open_subs = asyncio.run(scenario())
    assert (kept, dropped) == ([2, 3, 4], 2)
    assert got == [2, 3] and open_subs == 2


def test_a_closed_subscription_receives_nothing() -> None:
    async def scenario() -> int:
        hub = HealthHub()
        async with hub.subscribe() as sub:
            pass
        hub.publish(_event(1))
        return sub.pending() + hub.subscribers

    assert asyncio.run(scenario()) == 0
