"""Who owns which event subscription, and how many may be made.

Anyone may subscribe to a product's events (they are the product's public push
interface), but a subscription belongs to whoever created it: the answer to a creation
carries a secret, shown once and kept only as a SHA-256 digest, that the subscriber
presents as ``Authorization: Bearer <secret>`` to read or delete it. The product's
control token (its owner) sees and deletes every subscription. Nobody else learns a
subscription's callback URL or secret.

Creation is bounded twice, because each subscription makes the product send requests:
a total per product (:class:`TooManySubscriptions`, 409) and a number per client address
per minute (:class:`RateLimited`, 429).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import deque
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

#: Longest callback URL accepted (why: it is stored and shown; browsers stop near here).
MAX_ENDPOINT_LENGTH = 2048
WINDOW_SECONDS = 60.0
# Client addresses remembered at most; older windows are dropped first past this.
_MAX_CLIENTS = 4096


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
    """The owners of a product's subscriptions and the limits on creating them."""

    def __init__(
        self,
        events: EventBus,
        token: str,
        *,
        max_total: int,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.events = events
        self._token = token
        self.max_total = max_total
        self.per_minute = per_minute
        self._clock = clock
        self._by_digest: dict[str, str] = {}  # digest of a secret -> subscription id
        self._digest_of: dict[str, str] = {}  # subscription id -> digest of its secret
        self._created: dict[str, deque[float]] = {}  # client address -> creation times

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
        """Admit ``client``, make the subscription, and give it a new secret.

        Raise :class:`TooManySubscriptions` or :class:`RateLimited` before ``make`` runs.
        """
        now = self._clock()
        recent = self._window(client, now)
        if len(self.events.subscriptions()) >= self.max_total:
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
        sub = make()
        secret = secrets.token_urlsafe(32)
        digest = _digest(secret)
        self._by_digest[digest] = sub.id
        self._digest_of[sub.id] = digest
        recent.append(now)
        return sub, secret

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
        sub = self.events.unsubscribe(subscription_id)
        if sub is None:
            raise NotFound(f"no subscription {subscription_id!r}")
        digest = self._digest_of.pop(subscription_id, None)
        if digest is not None:
            self._by_digest.pop(digest, None)
        return sub

    def _sees(self, caller: Caller, subscription_id: str) -> bool:
        return caller.owner or caller.subscription_id == subscription_id

    def _window(self, client: str, now: float) -> deque[float]:
        """``client``'s creation times within the window (older ones dropped)."""
        if client not in self._created and len(self._created) >= _MAX_CLIENTS:
            for key in [
                k
                for k, times in self._created.items()
                if not times or times[-1] <= now - WINDOW_SECONDS
            ]:
                del self._created[key]
            if len(self._created) >= _MAX_CLIENTS:  # all busy: forget the oldest entry
                del self._created[next(iter(self._created))]
        recent = self._created.setdefault(client, deque())
        while recent and recent[0] <= now - WINDOW_SECONDS:
            recent.popleft()
        return recent
