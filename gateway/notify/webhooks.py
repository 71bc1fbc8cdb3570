"""Webhook subscriptions as callers manage them: subscribe, list, unsubscribe, read the
delivery log; each caller their own, admins everyone's.

A subscription names one product, a webhook URL (checked against the webhook address
policy, :mod:`gateway.notify.targets`) and the kinds of events wanted. Its signing secret
is made here and shown once, in the answer of ``subscribe``. Someone else's subscription
is answered as not found: its existence is not the caller's to learn. Every subscribe and
unsubscribe is audited (``webhook.subscribe``, ``webhook.unsubscribe``), refusals with
their code; the event names the subscription, never its URL (which may carry tokens).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from gateway.audit import OK
from gateway.errors import BadRequest, GatewayError
from gateway.identity import Principal
from gateway.net.addresses import AddressPolicy
from gateway.net.transport import Resolver
from gateway.notify import signing, targets
from gateway.notify.event import KINDS
from gateway.notify.records import DeliveryPage, WebhookSubscription
from gateway.notify.store import NotifyStore
from gateway.registry import RegisteredProduct
from gateway.registry.audited import ChangeAuditor

SUBSCRIBE = "webhook.subscribe"
UNSUBSCRIBE = "webhook.unsubscribe"

MAX_LISTED = 1000
"""Most subscriptions one listing returns (an admin's listing of everyone's)."""


class SubscriptionNotFound(GatewayError):
    """No such subscription, or not the caller's."""

    code = "SUBSCRIPTION_NOT_FOUND"


class TooManySubscriptions(GatewayError):
    """The caller has as many subscriptions as ``MESHGATE_NOTIFY_MAX_SUBSCRIPTIONS``."""

    code = "TOO_MANY_SUBSCRIPTIONS"


class Webhooks:
    def __init__(
        self,
        store: NotifyStore,
        policy: AddressPolicy,
        *,
        max_per_subscriber: int,
        resolver: Resolver | None = None,
        auditor: ChangeAuditor | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self._auditor = auditor
        self._policy = policy
        self._most = max_per_subscriber
        self._resolver = resolver
        self._clock = clock

    async def subscribe(
        self,
        caller: Principal,
        product: RegisteredProduct,
        webhook: str,
        kinds: Sequence[str] | None = None,
        *,
        request_id: str | None = None,
    ) -> WebhookSubscription:
        """A new subscription of ``caller`` (signed in) to ``product``'s events of
        ``kinds`` (all when None), its secret included."""
        try:
            made = await self._subscribe(caller, product, webhook, kinds)
        except GatewayError as exc:
            await self._audit(caller, SUBSCRIBE, product, exc.code, "", request_id)
            raise
        detail = f"subscription {made.id} ({', '.join(made.kinds)})"
        await self._audit(caller, SUBSCRIBE, product, OK, detail, request_id)
        return made

    async def _subscribe(
        self,
        caller: Principal,
        product: RegisteredProduct,
        webhook: str,
        kinds: Sequence[str] | None,
    ) -> WebhookSubscription:
        wanted = tuple(dict.fromkeys(kinds)) if kinds is not None else KINDS
        if not wanted or any(k not in KINDS for k in wanted):
            raise BadRequest(
                f"kinds: expected one or more of {list(KINDS)}, or none for all", argument="kinds"
            )
        url = await targets.check(webhook, self._policy, self._resolver)
        subscription = WebhookSubscription(
            id=uuid.uuid4().hex, subscriber=caller.subject,
            owner=caller.owns_domain(product.domain), product_id=product.id, url=url,
            secret=signing.new_secret(), kinds=wanted, created_at=self._clock(),
        )  # fmt: skip
        if not await self.store.add(subscription, most=self._most):
            raise TooManySubscriptions(
                f"you have {self._most} webhook subscriptions already, the most one caller "
                "may have: unsubscribe one first",
                limit=self._most,
            )
        return subscription

    async def _audit(
        self,
        caller: Principal,
        action: str,
        product: RegisteredProduct | str | None,
        outcome: str,
        detail: str,
        request_id: str | None,
    ) -> None:
        if self._auditor is None:
            return
        pid = product.id if isinstance(product, RegisteredProduct) else product
        key = product.key if isinstance(product, RegisteredProduct) else None
        await self._auditor.record_change(
            caller, action, product_id=pid, product_key=key, outcome=outcome, detail=detail,
            request_id=request_id,
        )  # fmt: skip

    async def listed(self, caller: Principal) -> Sequence[WebhookSubscription]:
        """The caller's subscriptions (an admin's: everyone's), newest first."""
        subscriber = None if caller.is_admin else caller.subject
        return await self.store.subscriptions(subscriber, limit=MAX_LISTED)

    async def get(self, caller: Principal, subscription_id: str) -> WebhookSubscription:
        """The caller's subscription (an admin: anyone's)."""
        found = await self.store.get(subscription_id)
        if found is None or not (caller.is_admin or found.subscriber == caller.subject):
            raise SubscriptionNotFound(f"you have no webhook subscription {subscription_id!r}")
        return found

    async def unsubscribe(
        self, caller: Principal, subscription_id: str, *, request_id: str | None = None
    ) -> WebhookSubscription:
        """Remove the caller's subscription (an admin: anyone's) and its delivery log."""
        detail = f"subscription {subscription_id[:64]}"
        try:
            found = await self.get(caller, subscription_id)
            if not await self.store.remove(found.id):
                raise SubscriptionNotFound(f"you have no webhook subscription {subscription_id!r}")
        except GatewayError as exc:
            await self._audit(caller, UNSUBSCRIBE, None, exc.code, detail, request_id)
            raise
        await self._audit(caller, UNSUBSCRIBE, found.product_id, OK, detail, request_id)
        return found

    async def deliveries(
        self, subscription: WebhookSubscription, *, first: int, after: str | None
    ) -> DeliveryPage:
        """A page of the delivery log of a subscription got through :meth:`get`."""
        return await self.store.deliveries(subscription.id, first=first, after=after)
