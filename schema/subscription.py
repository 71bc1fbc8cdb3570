"""The root Subscription (WebSocket, graphql-transport-ws): live events of chosen products.

See docs/notifications.md; the rules of who hears what are in ``resolvers.live``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from resolvers import live
from schema.notify_kinds import EventKind


@strawberry.type(description="One change of one product, told live.")
class ProductEvent:
    id: strawberry.ID = strawberry.field(
        description="Unique per event (the same id a webhook delivery of it carries)."
    )
    kind: EventKind
    product_id: strawberry.ID
    product_key: str = strawberry.field(description="The product's `domain.slug`.")
    at: datetime
    summary: str = strawberry.field(description="One line for people.")
    data: JSON = strawberry.field(
        description="The kind's details: HEALTH before, after, reasons; CERTIFICATION "
        "before, after {status, level}; CONTRACT added, flags; ISSUE severity, text, by; "
        "RATING stars, comment, by."
    )
    upstream_of: list[strawberry.ID] = strawberry.field(
        description="For a degradation of a product upstream of the ones subscribed to "
        "(`upstream: true`): the subscribed products it reaches. Empty otherwise."
    )
    dropped: int = strawberry.field(
        description="Events this subscription lost just before this one because the client "
        "read too slowly (the oldest go first); 0 normally."
    )

    @classmethod
    def of(cls, told: live.Delivered) -> ProductEvent:
        e = told.event
        return cls(
            id=strawberry.ID(e.id), kind=EventKind(e.kind), product_id=strawberry.ID(e.product_id),
            product_key=e.product_key, at=e.at, summary=e.summary, data=_json(e.data),
            upstream_of=[strawberry.ID(p) for p in told.upstream_of], dropped=told.dropped,
        )  # fmt: skip


def _json(data: Any) -> JSON:
    """The event's details as the JSON scalar (plain data already: from JSON or the relay)."""
    return cast(JSON, dict(data))


async def _told(info: Info, chosen: live.Chosen) -> AsyncIterator[ProductEvent]:
    async for told in live.events(info, chosen):
        yield ProductEvent.of(told)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Live events of the products given (by id or `domain.slug`), over a "
        "WebSocket on /graphql (graphql-transport-ws, signed-in callers). `kinds`: all when "
        "omitted; ISSUE and RATING only for the owners of a product's domain and admins. "
        "`upstream`: also every degradation of a product upstream of them."
    )
    async def product_events(
        self,
        info: Info,
        products: list[strawberry.ID],
        kinds: list[EventKind] | None = None,
        upstream: bool = True,
    ) -> AsyncIterator[ProductEvent]:
        # Judged before the stream starts, so a refusal is the protocol's `error` message.
        asked: Any = None if kinds is None else [k.value for k in kinds]
        chosen = await live.choose(info, [str(p) for p in products], asked, upstream)
        return _told(info, chosen)
