"""An in-process hub: one publisher, any number of subscribers, each with its own queue.

The health monitor, the certifier and the registry each publish their changes on a hub
of their own; the notifier (``gateway.notify``) and the WebSocket subscriptions read them.
Each subscriber has a bounded queue: a slow subscriber loses its oldest events (and is
told how many through ``dropped``), it never slows the publisher or the others.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Subscription(Generic[T]):
    """What one subscriber receives: iterate it (``async for event in sub``)."""

    def __init__(self, size: int, accept: Callable[[T], bool] | None = None) -> None:
        self._queue: asyncio.Queue[T] = asyncio.Queue(maxsize=size)
        self._accept = accept
        self.dropped = 0

    def put(self, event: T) -> None:
        if self._accept is not None and not self._accept(event):
            return  # not this subscriber's: neither queued nor counted as dropped
        if self._queue.full():
            self._queue.get_nowait()  # the oldest goes: the newest state matters most
            self.dropped += 1
        self._queue.put_nowait(event)

    async def get(self) -> T:
        """The next event (waits for one)."""
        return await self._queue.get()

    def pending(self) -> int:
        """How many events wait to be read."""
        return self._queue.qsize()

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[T]:
        while True:
            yield await self._queue.get()


class Hub(Generic[T]):
    """Fan-out of events to in-process subscribers."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._queue_size = queue_size
        self._subscribers: set[Subscription[T]] = set()
        self.published = 0
        """Events published so far: state kept from what the publisher owns (answers in
        ``gateway.result_cache``) is outdated as soon as it moves."""

    @contextlib.asynccontextmanager
    async def subscribe(
        self, accept: Callable[[T], bool] | None = None
    ) -> AsyncIterator[Subscription[T]]:
        """A subscription for the ``async with`` block; it ends with the block. With
        ``accept``, only the events it accepts are queued (a cheap, non-blocking test), so
        ``dropped`` counts only events this subscriber wanted."""
        sub: Subscription[T] = Subscription(self._queue_size, accept)
        self._subscribers.add(sub)
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)

    def publish(self, event: T) -> None:
        """Hand ``event`` to every subscriber now (never blocks)."""
        self.published += 1
        for sub in list(self._subscribers):
            sub.put(event)

    @property
    def subscribers(self) -> int:
        """How many subscriptions are open."""
        return len(self._subscribers)
