"""Webhook subscribers as people to tell: the stored subscriptions plugged into the
lineage ``Subscribers`` seam, so ``impact`` lists them with each product's team.

The people to tell when a product fails are the subscribers of its health events, each
named by their subject; the webhook URL and secret are never shown.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.lineage import Subscriber
from gateway.notify.event import HEALTH
from gateway.notify.store import NotifyStore
from gateway.registry import RegisteredProduct

WEBHOOK = "webhook"


class WebhookSubscribers:
    """:class:`gateway.lineage.Subscribers`: each subject with a webhook on the product, once."""

    def __init__(self, store: NotifyStore) -> None:
        self._store = store

    async def of(self, product: RegisteredProduct) -> Sequence[Subscriber]:
        found = await self._store.wanting([product.id], HEALTH)
        subjects = dict.fromkeys(s.subscriber for s in found)
        return [Subscriber(WEBHOOK, subject) for subject in subjects]
