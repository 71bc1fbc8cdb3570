"""The checks of one refresh start one after another over part of the interval, not all
at once (gateway/health/monitor.py, ``SPREAD``): the first refresh checks every product
at once, the later ones spread theirs; a product unregistered before its turn is not
judged back. Real product kits under uvicorn, each behind an app that notes when its
observability results are asked for (what makes a product compute them)."""

from __future__ import annotations

import asyncio
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from gateway.health import monitor as monitor_module
from gateway.services import close_services, open_services
from gateway.settings import Settings
from productkit.http.app import create_product_app
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import DEMO

PRODUCTS = ("us-precipitation", "france-precipitation", "city-temperatures")


class _Noted:
    """A product's app; the monotonic moment of each results request is appended."""

    def __init__(self, app: Any, moments: list[float]) -> None:
        self.app, self.moments = app, moments

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/observe/results"):
            self.moments.append(time.monotonic())
        await self.app(scope, receive, send)


def _serve(stack: ExitStack, names: tuple[str, ...], moments: list[float]) -> list[str]:
    """The demo products ``names``, each under uvicorn noting its results requests."""
    return [
        stack.enter_context(
            running(_Noted(create_product_app(DEMO / n, token="t", env={}), moments))
        )
        for n in names
    ]


def _settings(tmp: Path, interval: float) -> Settings:
    return Settings(
        registry_url=f"sqlite:///{tmp / 'registry.db'}",
        upstream_allowed_networks=LOOPBACK_ONLY,
        health_refresh_seconds=interval,
        certification_interval_seconds=0.0,
    )


def _gaps(moments: list[float]) -> list[float]:
    ordered = sorted(moments)
    return [b - a for a, b in zip(ordered, ordered[1:], strict=False)]


def test_a_refresh_spreads_its_checks_over_the_time_given(tmp_path: Path) -> None:
    moments: list[float] = []
    spread = 1.5

    async def scenario(urls: list[str]) -> tuple[float, float]:
        services = await open_services(_settings(tmp_path, 3600.0))
        try:
            for url in urls:
                await services.registry.register(f"{url}/discover/metadata")
            await asyncio.wait_for(services.health.follower.idle(), 30)
            moments.clear()
            began = time.monotonic()
            await services.health.refresh(spread)
            return time.monotonic() - began, min(_gaps(moments))
        finally:
            await close_services(services)

    with ExitStack() as stack:
        urls = _serve(stack, PRODUCTS, moments)
        took, spread_gap = asyncio.run(scenario(urls))
    step = spread / len(PRODUCTS)
    # A sleep never ends early: each check starts at least a step after the one before.
    assert spread_gap >= step * 0.9
    assert took >= step * (len(PRODUCTS) - 1)
    assert len(moments) == len(PRODUCTS)  # each product asked once


def test_the_first_refresh_is_at_once_the_next_ones_spread(
    tmp_path: Path, monkeypatch: Any
) -> None:
    moments: list[float] = []
    interval = 3.0
    # Spread over the whole interval: the later refreshes' checks a second apart.
    monkeypatch.setattr(monitor_module, "SPREAD", 1.0)

    async def scenario(urls: list[str]) -> list[list[float]]:
        services = await open_services(_settings(tmp_path, interval))
        monitor = services.health
        try:
            for url in urls:
                await services.registry.register(f"{url}/discover/metadata")
            await asyncio.wait_for(monitor.follower.idle(), 30)
            # Registered before the loop's first refresh ended or after it: either way
            # the next refresh is a later one. Wait for it to end.
            start = monitor.refreshes
            deadline = time.monotonic() + 30
            while monitor.refreshes < start + 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return [list(moments)]
        finally:
            await close_services(services)

    with ExitStack() as stack:
        urls = _serve(stack, PRODUCTS, moments)
        (seen,) = asyncio.run(scenario(urls))
    # The last refresh that ended was a later one: its three checks a second apart.
    last = sorted(seen)[-len(PRODUCTS) :]
    assert min(_gaps(last)) >= (interval / len(PRODUCTS)) * 0.9


def test_a_product_unregistered_before_its_turn_is_not_judged_back(tmp_path: Path) -> None:
    moments: list[float] = []

    async def scenario(urls: list[str]) -> tuple[bool, bool, int]:
        services = await open_services(_settings(tmp_path, 3600.0))
        monitor = services.health
        try:
            products = [
                await services.registry.register(f"{url}/discover/metadata") for url in urls
            ]
            await asyncio.wait_for(monitor.follower.idle(), 30)
            moments.clear()
            refresh = asyncio.create_task(monitor.refresh(4.0))  # checks 2 s apart
            while not moments:  # the first check has begun
                await asyncio.sleep(0.01)
            # The second product's turn is about 2 s away: unregister it now.
            listed = sorted(products, key=lambda p: p.key)
            order = [p.id for p in await services.registry.list(limit=10)]
            second = next(p for p in listed if p.id == order[1])
            await services.registry.unregister(second.id)
            await asyncio.wait_for(monitor.follower.idle(), 30)
            gone_at_once = monitor.verdict(second.id) is None
            await refresh
            first_kept = monitor.verdict(order[0]) is not None
            return gone_at_once, first_kept and monitor.verdict(second.id) is None, len(moments)
        finally:
            await close_services(services)

    with ExitStack() as stack:
        urls = _serve(stack, PRODUCTS[:2], moments)
        gone_at_once, still_gone, asked = asyncio.run(scenario(urls))
    assert gone_at_once
    assert still_gone
    assert asked == 1  # when its turn came, it was not even asked
