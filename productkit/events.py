"""Event subscriptions and their delivery (push observability).

Subscribers register an http(s) endpoint and the event types they want (``*`` for all).
Each event is POSTed to every matching endpoint in the background, best effort, under
one short total deadline: a slow or dead subscriber never holds up the product.
Deliveries go only to addresses the product's operator allows (public ones by default,
see :mod:`productkit.outbound`), checked when the connection is made. The bus keeps the
subscriptions in memory for delivery; :mod:`productkit.subscribers` stores them (and
their delivery counters, through ``on_delivery``) so a restarted product keeps them. A
subscription's URL is never logged: a failed delivery names the subscription's id.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import httpx

from gateway.errors import UpstreamAddressRefused
from gateway.net.transport import guarded_client
from productkit import answers
from productkit.errors import BadInput
from productkit.outbound import Outbound, http_url
from productkit.timefmt import iso, utcnow

log = logging.getLogger(__name__)

STATE_CHANGED = "product.stateChanged"
CONFIGURED = "product.configured"
CERTIFICATION_CHANGED = "certification.changed"
CERTIFICATION_PUBLISHED = "certification.published"
EVENT_TYPES = (STATE_CHANGED, CONFIGURED, CERTIFICATION_CHANGED, CERTIFICATION_PUBLISHED)
MAX_SUBSCRIPTIONS = 1000
DELIVERY_TIMEOUT_SECONDS = 2.0


def check_endpoint(endpoint: Any) -> str:
    """``endpoint`` if it is an absolute http(s) URL with a host, else raise ``BadInput``.

    >>> check_endpoint("http://127.0.0.1:9/hook")
    'http://127.0.0.1:9/hook'
    """
    return http_url(endpoint, "endpoint")


@dataclass
class Subscription:
    """One subscriber: where to POST, which event types, and how delivery went."""

    id: str
    endpoint: str
    events: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)
    delivered: int = 0
    failed: int = 0
    last_error: str | None = None

    def wants(self, event_type: str) -> bool:
        """Whether this subscriber asked for ``event_type``."""
        return "*" in self.events or event_type in self.events

    def as_json(self) -> answers.Subscription:
        """The subscription as the API shows it (``extra`` keys are those it lists)."""
        shown: dict[str, Any] = {
            "id": self.id,
            "endpoint": self.endpoint,
            "events": list(self.events),
            **self.extra,
            "delivered": self.delivered,
            "failed": self.failed,
            "lastError": self.last_error,
        }
        return cast(answers.Subscription, shown)


class EventBus:
    """Subscriptions of one product and delivery of its events."""

    def __init__(
        self,
        product_id: str,
        outbound: Outbound | None = None,
        on_delivery: Callable[[Subscription], None] | None = None,
    ) -> None:
        self.product_id = product_id
        self._outbound = outbound or Outbound()
        self._subscriptions: dict[str, Subscription] = {}
        # Told after each delivery attempt (the counters changed), to keep them.
        self.on_delivery = on_delivery
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def open(self) -> None:
        """Create the HTTP client (call inside the server's event loop)."""
        self._client = guarded_client(
            self._outbound.policy, timeout=httpx.Timeout(DELIVERY_TIMEOUT_SECONDS)
        )

    async def close(self) -> None:
        """Let deliveries under way finish (each is bounded by its timeout), then close."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def subscribe(
        self, endpoint: Any, events: Any = None, extra: dict[str, Any] | None = None
    ) -> Subscription:
        """Add a subscriber; ``events`` defaults to every event type."""
        url = self._outbound.check_endpoint(endpoint)
        wanted = ["*"] if events is None else events
        if (
            not isinstance(wanted, list)
            or not wanted
            or not all(isinstance(e, str) and (e == "*" or e in EVENT_TYPES) for e in wanted)
        ):
            raise BadInput(
                f"events: expected a list of event types from *, {', '.join(EVENT_TYPES)}",
                argument="events",
            )
        if len(self._subscriptions) >= MAX_SUBSCRIPTIONS:
            raise BadInput(f"at most {MAX_SUBSCRIPTIONS} subscriptions are kept")
        sub = Subscription(str(uuid.uuid4()), url, tuple(dict.fromkeys(wanted)), extra or {})
        self._subscriptions[sub.id] = sub
        return sub

    def restore(self, sub: Subscription) -> None:
        """Take back a subscription kept from an earlier run (its URL was checked then)."""
        self._subscriptions[sub.id] = sub

    def unsubscribe(self, subscription_id: str) -> Subscription | None:
        """Remove a subscriber; ``None`` when unknown."""
        return self._subscriptions.pop(subscription_id, None)

    def subscriptions(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        return list(self._subscriptions.values())

    def publish(
        self,
        event_type: str,
        data: dict[str, Any],
        only: Sequence[Subscription] | None = None,
    ) -> dict[str, Any]:
        """Send one event to the subscribers who want it (to ``only`` those, if given)."""
        event = {
            "id": str(uuid.uuid4()),
            "type": event_type,
            "productId": self.product_id,
            "time": iso(utcnow()),
            "data": data,
        }
        targets = only if only is not None else self.subscriptions()
        for sub in targets:
            if sub.wants(event_type) and self._client is not None:
                task = asyncio.get_running_loop().create_task(self._deliver(sub, event))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return event

    async def _deliver(self, sub: Subscription, event: dict[str, Any]) -> None:
        assert self._client is not None
        try:
            # One deadline for the whole delivery: a subscriber that answers a byte at a
            # time is cut like one that does not answer.
            # Only the status is looked at; the body is never read.
            async with (
                asyncio.timeout(DELIVERY_TIMEOUT_SECONDS),
                self._client.stream("POST", sub.endpoint, json=event) as answer,
            ):
                status = answer.status_code
            if status >= 400:
                raise httpx.HTTPStatusError(
                    f"answered {status}", request=answer.request, response=answer
                )
            sub.delivered += 1
            sub.last_error = None
        except (httpx.HTTPError, TimeoutError, UpstreamAddressRefused) as exc:
            sub.failed += 1
            sub.last_error = _delivery_error(exc)
            # The subscription's id, never its URL (a callback URL may carry a token).
            log.warning(
                "event %s to subscription %s not delivered: %s",
                event["type"], sub.id, sub.last_error,
            )  # fmt: skip
        if self.on_delivery is not None and sub.id in self._subscriptions:
            try:
                self.on_delivery(sub)
            except Exception as exc:  # counters are best effort; delivery went on anyway
                log.warning("delivery counters of subscription %s not kept: %s", sub.id, exc)


def _delivery_error(exc: Exception) -> str:
    """What a subscription shows of a failed delivery: a kind, never connect errors."""
    if isinstance(exc, UpstreamAddressRefused):
        return "address not allowed"
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return "timeout"
    # An error status and a refused connection read the same: subscriptions must not
    # tell which ports of which hosts are open.
    return "not delivered"
