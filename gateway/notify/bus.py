"""The bus: how an event published by one gateway process reaches the live subscribers
(WebSocket ``productEvents``) of every process.

:class:`LocalBus` is one process. A bus shared by several processes (Redis pub/sub)
implements the same :class:`EventBus`: ``publish`` sends to all processes, and each
process hands what it receives to its own subscribers, so an event is seen once by each
subscriber wherever it was published.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from gateway.hub import Hub, Subscription
from gateway.notify.event import MeshEvent


class EventBus(Protocol):
    async def publish(self, event: MeshEvent) -> None:
        """Send ``event`` to every subscriber of every process sharing the bus."""
        ...

    def subscribe(
        self, accept: Callable[[MeshEvent], bool] | None = None
    ) -> contextlib.AbstractAsyncContextManager[Subscription[MeshEvent]]:
        """This process's subscription for the ``async with`` block (only the events
        ``accept`` accepts, when given)."""
        ...

    @property
    def subscribers(self) -> int:
        """How many subscriptions of this process are open."""
        ...

    async def close(self) -> None: ...


class LocalBus:
    """The bus of a single process: a :class:`gateway.hub.Hub` of events."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._hub: Hub[MeshEvent] = Hub(queue_size)

    async def publish(self, event: MeshEvent) -> None:
        self._hub.publish(event)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, accept: Callable[[MeshEvent], bool] | None = None
    ) -> AsyncIterator[Subscription[MeshEvent]]:
        async with self._hub.subscribe(accept) as sub:
            yield sub

    @property
    def subscribers(self) -> int:
        return self._hub.subscribers

    async def close(self) -> None:
        return None
