"""An in-process hub of health changes: the monitor publishes, notifiers subscribe.

One :class:`HealthChanged` per change of a product's status (not per refresh). Each
subscriber has its own bounded queue: a slow subscriber loses its oldest events (and
is told how many through ``dropped``), it never slows the monitor or the others.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class HealthChanged:
    """A product's health went from ``before`` to ``after`` at ``at``."""

    product_id: str
    product_key: str
    before: str
    after: str
    reasons: tuple[str, ...]  # the reason codes of the new state
    at: datetime


class Subscription:
    """What one subscriber receives: iterate it (``async for event in sub``)."""

    def __init__(self, size: int) -> None:
        self._queue: asyncio.Queue[HealthChanged] = asyncio.Queue(maxsize=size)
        self.dropped = 0

    def put(self, event: HealthChanged) -> None:
        if self._queue.full():
            self._queue.get_nowait()  # the oldest goes: the newest state matters most
            self.dropped += 1
        self._queue.put_nowait(event)

    async def get(self) -> HealthChanged:
        """The next event (waits for one)."""
        return await self._queue.get()

    def pending(self) -> int:
        """How many events wait to be read."""
        return self._queue.qsize()

    def __aiter__(self) -> AsyncIterator[HealthChanged]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[HealthChanged]:
        while True:
            yield await self._queue.get()


class HealthHub:
    """Fan-out of :class:`HealthChanged` events to in-process subscribers."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._queue_size = queue_size
        self._subscribers: set[Subscription] = set()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        """A subscription for the ``async with`` block; it ends with the block."""
        sub = Subscription(self._queue_size)
        self._subscribers.add(sub)
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)

    def publish(self, event: HealthChanged) -> None:
        """Hand ``event`` to every subscriber now (never blocks)."""
        for sub in list(self._subscribers):
            sub.put(event)

    @property
    def subscribers(self) -> int:
        """How many subscriptions are open."""
        return len(self._subscribers)
