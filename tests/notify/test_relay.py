"""Changes become events once: the relay and the ledger, against a real product kit
under uvicorn and the gateway's real services."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from gateway.health import HealthChanged
from gateway.notify import HEALTH, MeshEvent
from gateway.services import close_services, open_services
from gateway.settings import Settings
from productkit.http.app import create_product_app
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.fixtures.waiting import until
from tests.graph.conftest import DEMO


async def _events(tmp: Path, kit: str) -> list[MeshEvent]:
    settings = Settings(
        registry_url=f"sqlite:///{tmp / 'registry.db'}",
        upstream_allowed_networks=LOOPBACK_ONLY,
        health_refresh_seconds=3600.0,  # the test drives the refreshes
    )
    services = await open_services(settings)
    try:
        monitor = services.health
        await services.registry.register(f"{kit}/discover/metadata")
        token = {"authorization": "Bearer t"}
        async with services.notifier.bus.subscribe() as sub, httpx.AsyncClient() as http:
            await monitor.refresh()  # the first verdict (UP) is the baseline
            await monitor.refresh()
            (await http.post(f"{kit}/control/pause", headers=token)).raise_for_status()
            await monitor.refresh()
            await monitor.refresh()
            (await http.post(f"{kit}/control/resume", headers=token)).raise_for_status()
            await monitor.refresh()
            for _ in range(50):  # the relay runs in its own task
                if sub.pending() >= 2:
                    break
                await asyncio.sleep(0.02)
            return [await sub.get() for _ in range(sub.pending())]
    finally:
        await close_services(services)


def test_health_changes_are_told_once_and_the_first_verdict_is_not(tmp_path: Path) -> None:
    app = create_product_app(DEMO / "us-precipitation", token="t", env={})
    with running(app) as kit:
        events = asyncio.run(_events(tmp_path, kit))
    assert [(e.kind, e.data["before"], e.data["after"]) for e in events] == [
        (HEALTH, "UP", "PAUSED"),
        (HEALTH, "PAUSED", "UP"),
    ]
    paused = events[0]
    assert paused.product_key == "precipitation.us-precipitation"
    assert paused.data["reasons"] == ["PRODUCT_PAUSED"]
    assert "PAUSED" in paused.summary and "PRODUCT_PAUSED" in paused.summary
    assert paused.degrades and not events[1].degrades  # a pause reaches downstream too
    assert events[0].id != events[1].id
    assert MeshEvent.from_json(paused.to_json()) == paused


async def _told(tmp: Path, changes: list[HealthChanged], count: int) -> list[MeshEvent]:
    settings = Settings(
        registry_url=f"sqlite:///{tmp / 'registry.db'}", health_refresh_seconds=3600.0
    )
    services = await open_services(settings)
    try:
        async with services.notifier.bus.subscribe() as sub:
            for change in changes:
                services.health.hub.publish(change)
            # The relay takes the changes in order, in its own task: once the last is
            # told, every one before it was judged.
            await until(lambda: sub.pending() >= count, f"{count} events told")
            return [await sub.get() for _ in range(sub.pending())]
    finally:
        await close_services(services)


def test_a_change_is_ordered_by_when_its_check_began_not_when_it_ended(tmp_path: Path) -> None:
    """A check that began at 8 s (before PAUSED was observed at 10 s) and ended at 20 s
    saying UP is stale: the ledger orders by ``observed_at``, so nothing is told."""
    t = [datetime(2026, 12, 1, tzinfo=UTC) + timedelta(seconds=n) for n in range(21)]

    def change(before: str, after: str, at: datetime, observed: datetime) -> HealthChanged:
        return HealthChanged("p", "d.p", before, after, (), at, observed_at=observed)

    events = asyncio.run(
        _told(
            tmp_path,
            [
                change("UNKNOWN", "UP", t[5], t[5]),  # the baseline
                change("UP", "PAUSED", t[10], t[10]),
                change("PAUSED", "UP", t[20], t[8]),
                change("PAUSED", "DOWN", t[20], t[20]),  # told: marks the end
            ],
            2,
        )
    )
    assert [(e.data["before"], e.data["after"]) for e in events] == [
        ("UP", "PAUSED"),
        ("PAUSED", "DOWN"),
    ]


def test_an_unknown_kind_is_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="unknown event kind"):
        MeshEvent.from_json(
            {"id": "1", "kind": "gossip", "productId": "p", "productKey": "d.p",
             "at": "2026-01-01T00:00:00+00:00", "summary": ""}
        )  # fmt: skip
