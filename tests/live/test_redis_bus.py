"""Several gateway processes behind one Redis (MESHGATE_EVENTS_BUS=redis): an event of
one process reaches the WebSocket subscribers of every process, each exactly once; the
reader survives bad messages and a dropped connection."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from gateway.notify import HEALTH, MeshEvent
from gateway.notify.buses import open_bus
from gateway.notify.redis_bus import RedisBus, client_name
from gateway.settings import Settings
from tests.fixtures.identity import TestIssuer
from tests.live.conftest import register, serve_gateway, start_kits
from tests.live.subscriber import EVENTS, Subscriber, event_of


@pytest.fixture
def channel(redis_url: str) -> str:
    """A channel of this test's own on the test Redis (which must answer)."""
    return f"meshgate-test:{uuid.uuid4().hex}"


def _redis_settings(channel: str, registry: Path, redis_url: str) -> dict[str, Any]:
    return {
        "events_bus": "redis", "events_redis_channel": channel, "redis_url": redis_url,
        "registry_url": f"sqlite:///{registry}", "health_refresh_seconds": 3600.0,
    }  # fmt: skip


def test_an_event_of_one_process_reaches_the_subscribers_of_both_once(
    tmp_path: Path, issuer: TestIssuer, channel: str, redis_url: str
) -> None:
    settings = _redis_settings(channel, tmp_path / "registry.db", redis_url)
    with (
        start_kits(("us-precipitation",)) as kits,
        serve_gateway(tmp_path, issuer, **settings) as a,
    ):
        ids = register(a, kits)
        with serve_gateway(tmp_path, issuer, **settings) as b:  # same registry, same Redis
            us = ids["us-precipitation"]
            a.call(a.services.health.refresh)  # A's baseline; B judged at its start
            variables = {"products": [us]}
            with (
                Subscriber(b.base, query=EVENTS, variables=variables,
                           header=b.bearer("ana")) as on_b,
                Subscriber(a.base, query=EVENTS, variables=variables,
                           header=a.bearer("ana")) as on_a,
            ):  # fmt: skip
                on_a.expect("ack")
                on_b.expect("ack")
                a.wait_subscribers(1)
                b.wait_subscribers(1)
                paused = httpx.post(f"{kits['us-precipitation']}/control/pause",
                                    headers={"Authorization": "Bearer t"}, timeout=10)  # fmt: skip
                paused.raise_for_status()
                a.call(a.services.health.refresh)  # only A sees the change
                told_b = event_of(on_b.expect("next"))
                told_a = event_of(on_a.expect("next"))
                assert told_b["id"] == told_a["id"]
                assert (told_b["productId"], told_b["data"]["after"]) == (us, "PAUSED")
                # Exactly once each: nothing more within half a second.
                assert on_b.quiet(0.5) == [] and on_a.quiet(0) == []


def _event() -> MeshEvent:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    return MeshEvent(HEALTH, "p", "d.p", at, "d.p is DOWN", {"before": "UP", "after": "DOWN"})


async def test_a_bad_message_on_the_channel_is_skipped_and_the_reader_lives(
    channel: str, redis_url: str
) -> None:
    bus = RedisBus(redis_url, channel, publish_timeout=5.0)
    await bus.start()
    writer: Any = redis.asyncio.Redis.from_url(redis_url)
    try:
        async with bus.subscribe() as sub:
            for junk in (b"{not json", b"[1, 2]", b'{"kind": "gossip"}', b"\xff\xfe", b"null"):
                await writer.publish(channel, junk)
            event = _event()
            await bus.publish(event)
            got = await asyncio.wait_for(sub.get(), 10)
            assert got == event
            assert bus.skipped == 5 and sub.pending() == 0
    finally:
        await writer.aclose()
        await bus.close()


async def test_the_reader_reconnects_when_redis_drops_it(channel: str, redis_url: str) -> None:
    bus = RedisBus(redis_url, channel, publish_timeout=5.0)
    await bus.start()
    admin: Any = redis.asyncio.Redis.from_url(redis_url)
    try:
        async with bus.subscribe() as sub:
            clients = await admin.client_list()
            # This process's reader only (other test processes run buses of their own).
            name = client_name(os.getpid())
            mine = [c["id"] for c in clients if c.get("name") == name and int(c["sub"])]
            assert mine, "the bus's reader connection was not found"
            for client_id in mine:
                await admin.client_kill_filter(_id=client_id)
            # Until it is back, events are lost; once back, they arrive.
            for _ in range(500):
                if bus.connections == 2 and bus.listening:
                    break
                await asyncio.sleep(0.02)
            assert bus.connections == 2  # it was dropped, and it came back
            event = _event()
            await bus.publish(event)
            assert await asyncio.wait_for(sub.get(), 10) == event
    finally:
        await admin.aclose()
        await bus.close()


async def test_publishing_to_an_unreachable_redis_is_dropped_not_raised() -> None:
    bus = RedisBus("redis://127.0.0.1:1/0", "meshgate-test:nowhere", publish_timeout=1.0)
    await bus.start(ready_timeout=0.2)
    try:
        assert not bus.listening
        await bus.publish(_event())  # logged and counted; the publisher goes on
        assert bus.lost == 1
    finally:
        await bus.close()


async def test_an_unknown_bus_stops_the_start() -> None:
    with pytest.raises(ValueError, match="MESHGATE_EVENTS_BUS='kafka'"):
        await open_bus(Settings(events_bus="kafka"))
