"""What the notify store keeps: webhook subscriptions and their deliveries.

Plain frozen data, the same on SQLite and PostgreSQL. A subscription's ``secret`` signs
its deliveries (:mod:`gateway.notify.signing`); it is read by the deliverer and shown to
the subscriber once, in the answer of ``subscribe``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

DIRECT = "direct"
"""A delivery of an event of the subscribed product itself."""
UPSTREAM = "upstream"
"""A delivery of a degradation of a product upstream of the subscribed one."""

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


@dataclass(frozen=True)
class WebhookSubscription:
    """Someone (``subscriber``, a principal's subject) asked for ``kinds`` of events of
    ``product_id`` at ``url``. ``owner``: whether they owned the product's domain when they
    subscribed (issues and ratings go to the owner's subscriptions only)."""

    id: str
    subscriber: str
    owner: bool
    product_id: str
    url: str
    secret: str
    kinds: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class NewDelivery:
    """One event to send to one subscription, and why it goes there."""

    subscription_id: str
    event: Mapping[str, Any]  # MeshEvent.to_json()
    reason: str = DIRECT
    path: tuple[str, ...] = ()  # product keys from the degrading product to the subscribed


@dataclass(frozen=True)
class Delivery:
    """A stored delivery and where it stands (the delivery log's row)."""

    id: int
    subscription_id: str
    event: Mapping[str, Any]
    reason: str
    path: tuple[str, ...]
    attempts: int
    status: str
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime
    delivered_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class Claimed:
    """A due delivery this process holds until ``lease``, with what sending it needs."""

    delivery: Delivery
    url: str
    secret: str
    lease: datetime


@dataclass(frozen=True)
class Outcome:
    """What one attempt left: the delivery's new state."""

    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class DeliveryPage:
    items: tuple[Delivery, ...]
    has_next: bool
    end_cursor: str | None
