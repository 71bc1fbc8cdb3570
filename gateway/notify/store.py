"""The notify store's interface and :func:`open_notify_store`.

Webhook subscriptions, their deliveries and the ledger's last known states live in the
registry's database (``MESHGATE_REGISTRY_URL``), in tables of their own with their own
schema version (``notify_schema``), so every gateway process sharing that database sees
the same subscriptions, sends each delivery once and tells each change once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from gateway import time_cursors
from gateway.errors import GatewayError
from gateway.notify.records import (
    Claimed,
    Delivery,
    DeliveryPage,
    NewDelivery,
    Outcome,
    WebhookSubscription,
)
from gateway.registry.store import parse_registry_url

MAX_PAGE = 100
_PREFIX = "dlv:"


class NotifyStoreError(GatewayError):
    """The notify store cannot be opened, read or written."""

    code = "NOTIFY_STORE_ERROR"


class NotifyStore(Protocol):
    async def add(self, subscription: WebhookSubscription, *, most: int) -> bool:
        """Store ``subscription`` unless its subscriber already has ``most``; whether it was."""
        ...

    async def get(self, subscription_id: str) -> WebhookSubscription | None: ...

    async def subscriptions(
        self, subscriber: str | None, *, limit: int
    ) -> Sequence[WebhookSubscription]:
        """A subscriber's subscriptions (``None``: everyone's), newest first."""
        ...

    async def remove(self, subscription_id: str) -> bool:
        """Delete a subscription and its deliveries; whether it existed."""
        ...

    async def wanting(self, product_ids: Sequence[str], kind: str) -> Sequence[WebhookSubscription]:
        """The subscriptions of any of ``product_ids`` that want events of ``kind``."""
        ...

    async def enqueue(self, deliveries: Sequence[NewDelivery], at: datetime) -> int:
        """Store ``deliveries`` as pending, due at ``at``; how many."""
        ...

    async def claim(self, now: datetime, lease: datetime, limit: int) -> Sequence[Claimed]:
        """Take up to ``limit`` pending deliveries due by ``now`` that nobody holds (or
        whose holder's lease ran out) and hold them until ``lease``, atomically: two
        processes never hold the same delivery."""
        ...

    async def finish(self, claimed: Claimed, outcome: Outcome) -> bool:
        """Record an attempt's outcome and let the delivery go; False when the lease was
        lost meanwhile (another process took it over)."""
        ...

    async def deliveries(
        self, subscription_id: str, *, first: int = 20, after: str | None = None
    ) -> DeliveryPage:
        """A page of a subscription's deliveries, newest first."""
        ...

    async def purge(self, older_than: datetime) -> int:
        """Delete finished deliveries (delivered or failed) created before ``older_than``."""
        ...

    async def advance(self, kind: str, product_id: str, state: str, observed: datetime) -> bool:
        """The ledger's step (:class:`gateway.notify.ledger.Ledger`), atomic across processes."""
        ...

    async def close(self) -> None: ...


async def open_notify_store(url: str, *, pool_size: int = 4) -> NotifyStore:
    """The store in the database at registry URL ``url``, its tables migrated."""
    location = parse_registry_url(url)
    if location.backend == "sqlite":
        from gateway.notify.sqlite import SqliteNotifyStore

        return await SqliteNotifyStore.open(location.target)
    from gateway.notify.postgres import PostgresNotifyStore

    return await PostgresNotifyStore.open(location.target, pool_size=pool_size)


def check_page(first: int) -> None:
    """Refuse a page size outside 1..:data:`MAX_PAGE`."""
    time_cursors.check_page(first, MAX_PAGE)


def encode_cursor(d: Delivery) -> str:
    return time_cursors.encode(_PREFIX, d.created_at, d.id)


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    return time_cursors.decode(_PREFIX, cursor)


def page_of(items: list[Delivery], first: int) -> DeliveryPage:
    shown = tuple(items[:first])
    return DeliveryPage(shown, len(items) > first, encode_cursor(shown[-1]) if shown else None)
