"""Webhook subscriptions in the graph: ``subscribe``, ``unsubscribe`` and
``webhookSubscriptions`` with each one's delivery log (docs/notifications.md, ``## Webhooks``).

Mixins: ``WebhookQuery`` and ``WebhookMutation`` join the root types' class lists.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.notify import records
from gateway.notify.store import encode_cursor
from resolvers import webhooks as resolve
from schema.notify_kinds import EventKind
from schema.pages import page_size
from schema.product import Product


@strawberry.enum(description="Why a delivery went to its subscription.")
class DeliveryReason(enum.Enum):
    DIRECT = records.DIRECT
    UPSTREAM = records.UPSTREAM


@strawberry.enum(description="Where a delivery stands.")
class DeliveryStatus(enum.Enum):
    PENDING = records.PENDING
    DELIVERED = records.DELIVERED
    FAILED = records.FAILED


@strawberry.type(description="One event sent (or to send) to one webhook.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(
        description="`dlv_<n>`: the `webhook-id` header of every attempt (the receiver's "
        "idempotency key)."
    )
    event: JSON = strawberry.field(description="The event as posted (the request's body).")
    kind: EventKind
    reason: DeliveryReason
    path: list[str] = strawberry.field(
        description="For UPSTREAM: product keys from the degrading product to the subscribed one."
    )
    status: DeliveryStatus
    attempts: int
    last_status: int | None = strawberry.field(description="The HTTP status of the last attempt.")
    last_error: str | None
    next_attempt_at: datetime
    delivered_at: datetime | None
    created_at: datetime
    cursor: str = strawberry.field(description="Pass as `after` to continue after this one.")

    @classmethod
    def of(cls, d: records.Delivery) -> WebhookDelivery:
        event: Any = dict(d.event)
        return cls(
            id=strawberry.ID(f"dlv_{d.id}"), event=event,
            kind=EventKind(str(d.event.get("kind"))), reason=DeliveryReason(d.reason),
            path=list(d.path), status=DeliveryStatus(d.status), attempts=d.attempts,
            last_status=d.last_status, last_error=d.last_error,
            next_attempt_at=d.next_attempt_at, delivered_at=d.delivered_at,
            created_at=d.created_at, cursor=encode_cursor(d),
        )  # fmt: skip


@strawberry.type(description="A page of a delivery log, newest first.")
class WebhookDeliveryPage:
    items: list[WebhookDelivery]
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="Signed deliveries of a product's events to a webhook.")
class WebhookSubscription:
    stored: strawberry.Private[records.WebhookSubscription]
    id: strawberry.ID
    product_id: strawberry.ID
    webhook: str
    kinds: list[EventKind]
    subscriber: str = strawberry.field(description="The subject of who subscribed.")
    owner: bool = strawberry.field(
        description="Whether the subscriber owned the product's domain when subscribing "
        "(issues and ratings go to the owner's subscriptions only)."
    )
    created_at: datetime
    secret: str | None = strawberry.field(
        description="The signing secret (`whsec_...`): in the answer of `subscribe` only."
    )

    @classmethod
    def of(cls, s: records.WebhookSubscription, *, secret: bool = False) -> WebhookSubscription:
        return cls(
            stored=s, id=strawberry.ID(s.id), product_id=strawberry.ID(s.product_id),
            webhook=s.url, kinds=[EventKind(k) for k in s.kinds], subscriber=s.subscriber,
            owner=s.owner, created_at=s.created_at, secret=s.secret if secret else None,
        )  # fmt: skip

    @strawberry.field(description="The product (null once it is unregistered).")
    async def product(self, info: Info) -> Product | None:
        found = await info.context.loaders.products.load(self.stored.product_id)
        return Product.of(found) if found is not None else None

    @strawberry.field(description="The delivery log, newest first.")
    async def deliveries(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> WebhookDeliveryPage:
        size = page_size(info, first)
        if size == 0:
            return WebhookDeliveryPage(items=[], has_next_page=False, end_cursor=None)
        page = await resolve.deliveries(info, self.stored, size, after)
        return WebhookDeliveryPage(
            items=[WebhookDelivery.of(d) for d in page.items],
            has_next_page=page.has_next,
            end_cursor=page.end_cursor,
        )


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description="Your webhook subscriptions (an admin: everyone's), newest first."
    )
    async def webhook_subscriptions(self, info: Info) -> list[WebhookSubscription]:
        return [WebhookSubscription.of(s) for s in await resolve.listed(info)]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description="Have a product's events (all kinds, or `kinds`) POSTed, signed, to "
        "`webhook`; the answer holds the signing secret, shown only here."
    )
    async def subscribe(
        self,
        info: Info,
        product: strawberry.ID,
        webhook: str,
        kinds: list[EventKind] | None = None,
    ) -> WebhookSubscription:
        wanted = [k.value for k in kinds] if kinds is not None else None
        found = await resolve.subscribe(info, str(product), webhook, wanted)
        return WebhookSubscription.of(found, secret=True)

    @strawberry.mutation(description="Remove your webhook subscription; returns what it was.")
    async def unsubscribe(self, info: Info, id: strawberry.ID) -> WebhookSubscription:
        return WebhookSubscription.of(await resolve.unsubscribe(info, str(id)))
