"""What the webhook fields need from the request: who asks, the product they name, and
the gateway's :class:`gateway.notify.webhooks.Webhooks`.

Only identified callers subscribe, list or unsubscribe (anonymous ones are refused with
``UNAUTHENTICATED``, like every change); the product must be registered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.errors import ProductNotFound
from gateway.notify.records import DeliveryPage, WebhookSubscription
from gateway.notify.webhooks import Webhooks
from resolvers.access import signed_in


def _webhooks(info: Any) -> Webhooks:
    service = info.context.services.webhooks
    assert service is not None, "open_services opens webhooks"
    found: Webhooks = service.webhooks
    return found


async def subscribe(
    info: Any, product_id: str, webhook: str, kinds: Sequence[str] | None
) -> WebhookSubscription:
    caller = signed_in(info, "subscribe")
    product = await info.context.loaders.products.load(product_id)
    if product is None:
        raise ProductNotFound(f"no product {product_id!r} is registered", product_id=product_id)
    request_id = info.context.request_id
    return await _webhooks(info).subscribe(caller, product, webhook, kinds, request_id=request_id)


async def unsubscribe(info: Any, subscription_id: str) -> WebhookSubscription:
    caller = signed_in(info, "unsubscribe")
    request_id = info.context.request_id
    return await _webhooks(info).unsubscribe(caller, subscription_id, request_id=request_id)


async def listed(info: Any) -> Sequence[WebhookSubscription]:
    caller = signed_in(info, "webhookSubscriptions")
    return await _webhooks(info).listed(caller)


async def deliveries(
    info: Any, subscription: WebhookSubscription, first: int, after: str | None
) -> DeliveryPage:
    """The log of a subscription already checked to be the caller's."""
    return await _webhooks(info).deliveries(subscription, first=first, after=after)
