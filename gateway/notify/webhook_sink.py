"""The webhook sink: every event the notifier tells becomes one stored delivery per
subscription that must hear it.

Who must hear:

* the subscriptions of the event's product that want its kind;
* issues and ratings only the subscriptions of the product's owner (whoever owned its
  domain when subscribing): what consumers say about a product is for its owner;
* when the event is a degradation (:attr:`MeshEvent.degrades`), also the subscriptions of
  every product downstream of it (the lineage impact set over declared product edges),
  each delivery saying ``upstream`` with the path from the degrading product.

Storing is the sink's whole job (the publisher is not held up by slow receivers); the
deliverer sends, and is woken at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from gateway import lineage
from gateway.notify.deliverer import Deliverer
from gateway.notify.event import ISSUE, RATING, MeshEvent
from gateway.notify.records import UPSTREAM, NewDelivery
from gateway.notify.store import NotifyStore
from gateway.registry import Registry

OWNER_ONLY = (ISSUE, RATING)
"""Kinds told only to the subscriptions of the product's owner."""


class WebhookSink:
    """A :class:`gateway.notify.Sink` storing webhook deliveries."""

    def __init__(
        self,
        store: NotifyStore,
        registry: Registry,
        deliverer: Deliverer,
        limits: lineage.Limits,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._registry = registry
        self._deliverer = deliverer
        self._limits = limits
        self._clock = clock

    async def handle(self, event: MeshEvent) -> None:
        found = await self.recipients(event)
        if found:
            await self._store.enqueue(found, self._clock())
            self._deliverer.wake()

    async def recipients(self, event: MeshEvent) -> list[NewDelivery]:
        """One delivery per subscription that must hear ``event``."""
        body = event.to_json()
        direct = await self._store.wanting([event.product_id], event.kind)
        if event.kind in OWNER_ONLY:
            direct = [s for s in direct if s.owner]
        found = [NewDelivery(s.id, body) for s in direct]
        if not event.degrades:
            return found
        paths = await self._downstream(event.product_id)
        told = {s.id for s in direct}
        for s in await self._store.wanting(list(paths), event.kind):
            if s.id not in told:
                told.add(s.id)
                found.append(NewDelivery(s.id, body, UPSTREAM, paths[s.product_id]))
        return found

    async def _downstream(self, product_id: str) -> dict[str, tuple[str, ...]]:
        """Each product downstream of ``product_id`` (not itself), with the path as keys."""
        products = (await self._registry.snapshot()).products
        keys = {lineage.product_id(p.id): p.key for p in products}
        start = lineage.product_id(product_id)
        hit = await lineage.impact(products, lineage.RegistryOnly(), start, self._limits)
        return {
            i.product: tuple(keys.get(n, n) for n in i.path)
            for i in hit.products
            if i.product != product_id
        }
