"""The notifier: the one door through which every change of the mesh is told.

``publish`` asks the ledger whether a state change is news (once across processes), then
sends the event on the bus (live WebSocket subscribers of every process) and hands it to
each sink (stored webhook deliveries, ...). A sink that fails is logged: it never stops
the others or the publisher (the health monitor, the certifier, a mutation).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from gateway.notify.bus import EventBus
from gateway.notify.event import MeshEvent
from gateway.notify.ledger import Ledger
from gateway.notify.live import Live

log = logging.getLogger(__name__)


class Sink(Protocol):
    async def handle(self, event: MeshEvent) -> None:
        """Take ``event`` on (say, store a delivery per recipient); must not block long."""
        ...


class Notifier:
    """Publishes events on ``bus`` and to ``sinks``, state changes once (``ledger``)."""

    def __init__(self, bus: EventBus, ledger: Ledger, sinks: Sequence[Sink] = ()) -> None:
        self.bus = bus
        self.ledger = ledger
        self._sinks = list(sinks)
        self.published = 0
        self.live = Live()  # the seats and caches of this process's live subscriptions

    def add_sink(self, sink: Sink) -> None:
        self._sinks.append(sink)

    async def publish(
        self, event: MeshEvent, *, state: str | None = None, observed: datetime | None = None
    ) -> bool:
        """Tell ``event``; True when it was told. With ``state`` (the product's new state
        of ``event.kind``, observed at ``observed``, else at ``event.at``), only a change
        from the state the ledger recorded, observed no later, is told."""
        if state is not None and not await self.ledger.advance(
            event.kind, event.product_id, state, observed or event.at
        ):
            return False
        await self.bus.publish(event)
        for sink in self._sinks:
            try:
                await sink.handle(event)
            except Exception:  # one sink's failure must not lose the event for the others
                log.exception("a notification sink failed on event %s", event.id)
        self.published += 1
        return True
