"""The background loops end when closed even if a library swallowed the cancellation.

Seen: ``meshgate serve --workers 2`` stopping, a worker's health monitor went on running
rounds after its close cancelled it, until the stop deadline (15 s) gave up on it. The
cancellation had landed inside a Redis call (the shared verdicts), and redis-py's asyncio
client returned normally instead of raising it. The loops now check, once per turn, that
their task was not asked to stop (``gateway/cancelled.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from gateway.cancelled import stop_if_cancelled
from gateway.every import Every
from gateway.federation.records import QueryRecord
from gateway.follow import Follower
from gateway.health import HealthChanged, HealthHub, HealthMonitor
from gateway.hub import Hub
from gateway.notify.deliverer import Deliverer
from gateway.notify.redis_bus import RedisBus
from gateway.notify.relay import Relay
from gateway.openlineage.emitter import LineageEmitter
from gateway.registry import Registry, open_registry

CLOSE_SECONDS = 2.0


class _Swallower:
    """Waits for ever when awaited; the first cancellation it meets returns normally, as
    the library did (later ones are raised, so a test that fails still ends)."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.swallowed = 0

    async def __call__(self) -> None:
        self.entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            if self.swallowed:
                raise
            self.swallowed += 1


async def ends_within(close: Any) -> None:
    """``close`` finishes within :data:`CLOSE_SECONDS` (waited for without cancelling it:
    cancelling a close that awaits a stuck task would wait for that task too)."""
    closing = asyncio.ensure_future(close)
    done, _ = await asyncio.wait({closing}, timeout=CLOSE_SECONDS)
    assert closing in done, "closing waited for a loop that had swallowed its cancellation"
    closing.result()


class _NotLeading:
    """Another process runs the rounds: this one reads the shared verdicts."""

    async def leading(self) -> bool:
        return False

    async def close(self) -> None:
        return None


class _SwallowingShared:
    """Shared verdicts whose read swallows the cancellation that lands in it."""

    def __init__(self) -> None:
        self.newer = _Swallower()

    async def close(self) -> None:
        return None


async def test_the_health_monitor_ends_when_a_shared_read_swallows_its_cancellation(
    tmp_path: Path,
) -> None:
    store = await open_registry(f"sqlite:///{tmp_path / 'registry.db'}")
    shared = _SwallowingShared()
    async with httpx.AsyncClient() as http:
        monitor = HealthMonitor(
            Registry(store, http), None, HealthHub(),  # type: ignore[arg-type]  # no product
            interval=0.05, concurrency=1, deadline=1, max_results=1, max_reasons=1,
            election=_NotLeading(), shared=shared,  # type: ignore[arg-type]
        )  # fmt: skip
        await monitor.start()
        await asyncio.wait_for(shared.newer.entered.wait(), CLOSE_SECONDS)
        # Before: the read returned, the loop slept and read again, for ever.
        await ends_within(monitor.close())
        assert shared.newer.swallowed == 1
    await store.close()


async def test_rounds_end_when_a_round_swallows_its_cancellation() -> None:
    swallower = _Swallower()
    rounds = Every(0.01, swallower, "swallowing", first=0)
    rounds.start()
    await asyncio.wait_for(swallower.entered.wait(), CLOSE_SECONDS)
    await ends_within(rounds.close())
    assert swallower.swallowed == 1


async def test_a_follow_up_ends_when_its_handler_swallows_the_cancellation() -> None:
    swallower = _Swallower()

    async def handle(product_id: str) -> None:
        await swallower()

    follower = Follower(handle, "swallowing")
    follower("product-1")
    await asyncio.wait_for(swallower.entered.wait(), CLOSE_SECONDS)
    follower("product-1")  # changed again meanwhile: one more run is due
    # Before: the swallowed run returned, and the run due began and waited for ever.
    await ends_within(follower.close())
    assert swallower.swallowed == 1 and follower.pending == 0


async def test_the_webhook_deliverer_ends_when_a_round_swallows_its_cancellation() -> None:
    swallower = _Swallower()

    async def round() -> int:
        await swallower()
        return 0  # nothing claimed

    deliverer = Deliverer(
        None, None,  # type: ignore[arg-type]  # the round below reads no store, sends nothing
        max_attempts=1, backoff_seconds=1, timeout_seconds=1, poll_seconds=0.01,
    )  # fmt: skip
    deliverer.round = round  # type: ignore[method-assign]
    deliverer.start()
    await asyncio.wait_for(swallower.entered.wait(), CLOSE_SECONDS)
    # Before: the round returned, the poll passed and the next round waited for ever.
    await ends_within(deliverer.close())
    assert swallower.swallowed == 1


async def test_the_relay_ends_when_telling_a_change_swallows_its_cancellation() -> None:
    swallower = _Swallower()

    class Notifier:
        async def publish(self, *args: Any, **kwargs: Any) -> None:
            await swallower()

    health: Hub[HealthChanged] = Hub()
    relay = Relay(Notifier(), None, health, Hub(), Hub())  # type: ignore[arg-type]
    await relay.start()
    at = datetime(2026, 12, 3, tzinfo=UTC)
    health.publish(HealthChanged("p-1", "flood.areas", "UP", "DOWN", ("UPSTREAM",), at))
    await asyncio.wait_for(swallower.entered.wait(), CLOSE_SECONDS)
    # Before: the change was told, and the relay waited for the next one for ever.
    await ends_within(relay.close())
    assert swallower.swallowed == 1


async def test_the_redis_event_reader_ends_when_a_read_swallows_its_cancellation(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    swallow = _Swallower()

    async def get_message(self: Any, *args: Any, **kwargs: Any) -> None:
        await swallow()  # the close's cancellation comes back as "no message"

    monkeypatch.setattr(aioredis.client.PubSub, "get_message", get_message)
    bus = RedisBus(redis_url, f"meshgate:test:swallow:{random.random()}")
    await bus.start()
    await asyncio.wait_for(swallow.entered.wait(), CLOSE_SECONDS)
    # Before: the reader asked for the next message, and waited for it for ever.
    await ends_within(bus.close())
    assert swallow.swallowed == 1


class _SinkSwallowingOnce:
    """An OpenLineage sink whose first send waits until cancelled and swallows it; the
    sends after it return at once (as a real sink's next call would)."""

    def __init__(self) -> None:
        self.first = _Swallower()
        self.lines: list[str] = []

    async def send(self, line: str) -> None:
        if not self.first.entered.is_set():
            await self.first()
        self.lines.append(line)

    async def close(self) -> None:
        return None


async def test_the_lineage_emitter_ends_when_a_send_swallows_its_cancellation() -> None:
    sink = _SinkSwallowingOnce()
    emitter = LineageEmitter(sink, namespace="meshgate-test", queue_size=8, flush_s=0.1)  # type: ignore[arg-type]
    emitter.start()
    emitter.emit(QueryRecord("alice", "SELECT 1", "duckdb", "ok", 1, 1.0, None, datetime.now(UTC)))
    await asyncio.wait_for(sink.first.entered.wait(), CLOSE_SECONDS)
    # The flush gives up after 0.1 s and cancels the drain inside the first send. Before:
    # the drain went on to the next query, and waited for it for ever.
    await ends_within(emitter.close())
    assert sink.first.swallowed == 1


async def test_a_loop_over_real_redis_calls_ends_at_every_cancellation(redis_url: str) -> None:
    """The fault itself, on the real server: a cancellation landing inside a ``GET`` or a
    pipeline may come back as a normal return; the loop's check still ends it."""
    client: Any = aioredis.from_url(redis_url)
    key = f"meshgate:test:cancel:{random.random()}"
    try:

        async def loop() -> None:
            while True:
                await client.get(key)
                async with client.pipeline(transaction=True) as pipe:
                    pipe.set(key, "1", px=5_000)
                    await pipe.execute()
                stop_if_cancelled()

        for _ in range(40):
            task = asyncio.create_task(loop())
            await asyncio.sleep(random.uniform(0, 0.005))
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=CLOSE_SECONDS)
            assert task in done, "a cancelled loop kept running"
            assert task.cancelled()
    finally:
        await client.delete(key)
        await client.aclose()


@pytest.mark.parametrize("asked", [False, True])
async def test_the_check_raises_only_when_the_task_was_asked_to_stop(asked: bool) -> None:
    async def turn() -> str:
        if asked:
            task = asyncio.current_task()
            assert task is not None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):  # as the library did
                await asyncio.sleep(0)
        stop_if_cancelled()
        return "went on"

    task = asyncio.create_task(turn())
    if asked:
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        assert await task == "went on"
