"""The bus of several gateway processes: Redis pub/sub on one channel.

Publishing goes only through Redis, never straight to the local hub: every process,
the publisher included, hears each event once from the channel and hands it to its own
subscribers, so a subscriber sees an event once wherever it was published.

Redis is a helper here, not a dependency of the graph: if it drops, the reader
reconnects with a growing pause (events published meanwhile are lost for live
subscribers, and logged), and a publish that cannot reach it in time is logged and
dropped, so the health monitor or a mutation never waits on Redis. A message on the
channel that is not an event (bad JSON, a missing field, an unknown kind) is logged and
skipped: the reader never dies of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gateway.cancelled import stop_if_cancelled
from gateway.hub import Hub, Subscription
from gateway.notify.event import MeshEvent

log = logging.getLogger(__name__)

READ_WAIT_SECONDS = 5.0
"""How long one read waits for a message before the connection's health is checked."""
HEALTH_CHECK_SECONDS = 15
"""Seconds between PINGs on an idle connection (a Redis gone silent is noticed)."""
RECONNECT_FIRST_SECONDS = 0.2
RECONNECT_MOST_SECONDS = 10.0
CLIENT_NAME = "meshgate-events"
"""The start of the name its connections carry in Redis's ``CLIENT LIST``."""
MAX_MESSAGE_BYTES = 1_000_000
"""A larger message on the channel is not an event of ours: skipped unread."""


def client_name(pid: int) -> str:
    """The name of process ``pid``'s connections (``CLIENT LIST``: which process is which).

    >>> client_name(42)
    'meshgate-events-pid-42'
    """
    return f"{CLIENT_NAME}-pid-{pid}"


class RedisBus:
    """:class:`gateway.notify.bus.EventBus` over Redis pub/sub on ``channel``."""

    def __init__(
        self,
        url: str,
        channel: str,
        *,
        queue_size: int = 1000,
        publish_timeout: float = 2.0,
    ) -> None:
        self._channel = channel
        self._publish_timeout = publish_timeout
        self._redis: Any = aioredis.from_url(
            url,
            health_check_interval=HEALTH_CHECK_SECONDS,
            socket_keepalive=True,
            client_name=client_name(os.getpid()),
        )
        self._hub: Hub[MeshEvent] = Hub(queue_size)
        self._reader: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self.connections = 0  # times the reader subscribed (1 + reconnections)
        self.skipped = 0  # messages on the channel that were not events
        self.lost = 0  # events that could not be published

    async def start(self, ready_timeout: float = 5.0) -> None:
        """Start reading the channel; wait (at most ``ready_timeout``) until subscribed,
        so a subscriber that comes right after hears the next event. A Redis that does
        not answer yet does not stop the gateway: the reader keeps trying."""
        self._reader = asyncio.create_task(self._read_forever(), name="redis-bus-reader")
        try:
            await asyncio.wait_for(self._listening.wait(), ready_timeout)
        except TimeoutError:
            log.warning("the Redis event bus is not subscribed yet; still trying")

    async def publish(self, event: MeshEvent) -> None:
        data = json.dumps(event.to_json(), separators=(",", ":"), default=str)
        try:
            await asyncio.wait_for(self._redis.publish(self._channel, data), self._publish_timeout)
        except (RedisError, OSError, TimeoutError) as exc:
            self.lost += 1
            log.warning("event %s not published on the Redis bus: %s", event.id, type(exc).__name__)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, accept: Callable[[MeshEvent], bool] | None = None
    ) -> AsyncIterator[Subscription[MeshEvent]]:
        async with self._hub.subscribe(accept) as sub:
            yield sub

    @property
    def subscribers(self) -> int:
        return self._hub.subscribers

    @property
    def listening(self) -> bool:
        """Whether the reader is subscribed to the channel right now."""
        return self._listening.is_set()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await self._redis.aclose()

    async def _read_forever(self) -> None:
        pause = RECONNECT_FIRST_SECONDS
        while True:
            try:
                await self._read_once()
            except (RedisError, OSError) as exc:
                log.warning(
                    "the Redis event bus lost its connection (%s); again in %.1f s",
                    type(exc).__name__, pause,
                )  # fmt: skip
            self._listening.clear()
            stop_if_cancelled()
            await asyncio.sleep(pause)
            pause = min(pause * 2, RECONNECT_MOST_SECONDS)

    async def _read_once(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._channel)
            self.connections += 1
            self._listening.set()
            log.info("the Redis event bus listens on its channel")
            while True:
                message = await pubsub.get_message(timeout=READ_WAIT_SECONDS)
                stop_if_cancelled()
                if message is not None and message.get("type") == "message":
                    self._deliver(message.get("data"))
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    def _deliver(self, data: Any) -> None:
        """Hand one message to the local subscribers; skip (and log) what is no event."""
        try:
            if not isinstance(data, bytes | str) or len(data) > MAX_MESSAGE_BYTES:
                raise ValueError("not a message of a size an event has")
            value = json.loads(data)
            if not isinstance(value, dict):
                raise ValueError("not a JSON object")
            event = MeshEvent.from_json(value)
        except (ValueError, KeyError, TypeError) as exc:
            self.skipped += 1
            log.warning("a message on the Redis event channel is not an event: %s", exc)
            return
        self._hub.publish(event)
