"""Who owns which event subscription, and how many may be made.

Anyone may subscribe to a product's events (they are the product's public push
interface), but a subscription belongs to whoever created it: the answer to a creation
carries a secret, shown once and kept only as a SHA-256 digest, that the subscriber
presents as ``Authorization: Bearer <secret>`` to read or delete it. The product's
control token (its owner) sees and deletes every subscription. Nobody else learns a
subscription's callback URL or secret.

Creation is bounded twice, because each subscription makes the product send requests:
a total per product (:class:`TooManySubscriptions`, 409) and a number per client address
per minute (:class:`RateLimited`, 429). Both are counted in the kit's state file, so a
restart resets neither.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from productkit.auth import bearer_token, is_token
from productkit.errors import (
    BadInput,
    Forbidden,
    NotFound,
    RateLimited,
    TooManySubscriptions,
)
from productkit.events import EventBus, Subscription, check_endpoint
from productkit.kitstate import KitState, StoredSubscription

#: Longest callback URL accepted (why: it is stored and shown; browsers stop near here).
MAX_ENDPOINT_LENGTH = 2048
WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Caller:
    """Who asks about subscriptions: the owner, or the holder of one subscription's secret."""

    owner: bool
    subscription_id: str | None = None


OWNER = Caller(owner=True)


def check_callback(endpoint: Any) -> str:
    """``endpoint`` if it is an http(s) URL a subscription may call back, else ``BadInput``.

    Where deliveries may go (addresses, ports) is decided when they are sent; this only
    checks the form: http(s), a host, no credentials, no spaces, at most
    :data:`MAX_ENDPOINT_LENGTH` characters.

    >>> check_callback("https://hooks.example/air")
    'https://hooks.example/air'
    """
    if isinstance(endpoint, str) and len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise BadInput(
            f"endpoint: longer than {MAX_ENDPOINT_LENGTH} characters", argument="endpoint"
        )
    url = check_endpoint(endpoint)
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise BadInput(
            "endpoint: spaces and control characters are not allowed", argument="endpoint"
        )
    if urlsplit(url).username is not None or "@" in urlsplit(url).netloc:
        raise BadInput("endpoint: credentials in the URL are not allowed", argument="endpoint")
    return url


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Subscribers:
    """The owners of a product's subscriptions and the limits on creating them.

    Every subscription, its secret's digest and each client's creation times are kept in
    the kit's state (:class:`~productkit.kitstate.KitState`), so ownership and both
    limits survive a restart.
    """

    def __init__(
        self,
        events: EventBus,
        token: str,
        *,
        max_total: int,
        per_minute: int,
        store: KitState,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.events = events
        self._token = token
        self.max_total = max_total
        self.per_minute = per_minute
        self._store = store
        # Wall-clock time: creation times are compared across restarts.
        self._clock = clock
        self._by_digest: dict[str, str] = {}  # digest of a secret -> subscription id
        self._digest_of: dict[str, str] = {}  # subscription id -> digest of its secret
        for kept in store.subscriptions():
            events.restore(
                Subscription(
                    kept.id, kept.endpoint, kept.events, kept.extra,
                    kept.delivered, kept.failed, kept.last_error,
                )
            )  # fmt: skip
            self._remember(kept.id, kept.secret_sha256)
        events.on_delivery = self._keep_counters

    def caller(self, authorization: str | None) -> Caller:
        """The owner or one subscription's holder; raise ``Unauthorized`` / ``Forbidden``."""
        given = bearer_token(
            authorization,
            'subscriptions need "Authorization: Bearer <subscription secret or control token>"',
        )
        if is_token(given, self._token):
            return OWNER
        found = self._by_digest.get(_digest(given))
        if found is None:
            raise Forbidden(
                "the bearer token is neither this product's control token nor the secret "
                "of one of its subscriptions"
            )
        return Caller(owner=False, subscription_id=found)

    def create(self, client: str, make: Callable[[], Subscription]) -> tuple[Subscription, str]:
        """Admit ``client``, make the subscription, give it a new secret, and store it.

        Raise :class:`TooManySubscriptions` or :class:`RateLimited` before ``make`` runs.
        """
        now = self._clock()
        secret = secrets.token_urlsafe(32)
        made: list[Subscription] = []

        def admit(total: int, recent: list[float]) -> None:
            if total >= self.max_total:
                raise TooManySubscriptions(
                    f"this product keeps at most {self.max_total} event subscriptions; "
                    "delete one first",
                    limit=self.max_total,
                )
            if len(recent) >= self.per_minute:
                wait = max(1, int(recent[0] + WINDOW_SECONDS - now + 0.999))
                raise RateLimited(
                    f"at most {self.per_minute} subscriptions per client per minute; "
                    f"try again in {wait} s",
                    retryAfter=wait,
                )

        def stored() -> StoredSubscription:
            sub = make()
            made.append(sub)
            return StoredSubscription(sub.id, sub.endpoint, sub.events, sub.extra, _digest(secret))

        try:
            self._store.add_subscription(client, now, WINDOW_SECONDS, admit, stored)
        except BaseException:
            for sub in made:  # not stored: not kept in memory either
                self.events.unsubscribe(sub.id)
            raise
        self._remember(made[0].id, _digest(secret))
        return made[0], secret

    def visible(self, caller: Caller) -> list[Subscription]:
        """Every subscription for the owner; the caller's own one otherwise."""
        return [s for s in self.events.subscriptions() if self._sees(caller, s.id)]

    def get(self, caller: Caller, subscription_id: str) -> Subscription:
        """One subscription the caller may see; :class:`NotFound` for any other."""
        for sub in self.visible(caller):
            if sub.id == subscription_id:
                return sub
        # The same answer whether it does not exist or is someone else's.
        raise NotFound(f"no subscription {subscription_id!r}")

    def remove(self, caller: Caller, subscription_id: str) -> Subscription:
        """Delete a subscription the caller may see; its secret stops working."""
        self.get(caller, subscription_id)
        self._store.remove_subscription(subscription_id)
        sub = self.events.unsubscribe(subscription_id)
        if sub is None:
            raise NotFound(f"no subscription {subscription_id!r}")
        digest = self._digest_of.pop(subscription_id, None)
        if digest is not None:
            self._by_digest.pop(digest, None)
        return sub

    def _remember(self, subscription_id: str, digest: str) -> None:
        self._by_digest[digest] = subscription_id
        self._digest_of[subscription_id] = digest

    def _keep_counters(self, sub: Subscription) -> None:
        self._store.record_delivery(sub.id, sub.delivered, sub.failed, sub.last_error)

    def _sees(self, caller: Caller, subscription_id: str) -> bool:
        return caller.owner or caller.subscription_id == subscription_id
