"""What the live subscriptions of one process share: their seats and the downstream of
each degrading event.

Seats bound how many subscriptions a caller (over all its connections) and a connection
hold open at once, and how many WebSockets a caller holds: a subscription costs a queue
and a task, a connection a socket and a task, for as long as they live, so one caller
must not hold the process's memory. The downstream of an event (which
products a degradation reaches) is computed once per event, however many subscriptions
ask.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

from gateway.errors import GatewayError
from gateway.identity import Principal

RECENT_EVENTS = 256
"""Downstream sets kept (by event id): enough for the subscriptions still reading one."""


class TooManySubscriptions(GatewayError):
    """A caller or a connection already holds as many live subscriptions as allowed."""

    code = "TOO_MANY_SUBSCRIPTIONS"


def caller_key(principal: Principal) -> str:
    """One caller, however many tokens it holds: its kind, issuer and subject."""
    return f"{principal.kind}:{principal.issuer or ''}:{principal.subject}"


class Seats:
    """Open subscriptions counted per key (a caller, a connection)."""

    def __init__(self) -> None:
        self._held: dict[str, int] = {}

    def held(self, key: str) -> int:
        return self._held.get(key, 0)

    def check(self, limits: dict[str, tuple[int, str]], noun: str = "open subscriptions") -> None:
        """Refuse with :class:`TooManySubscriptions` if a key of ``limits`` (key -> (most,
        what it is)) has no seat left (before a subscription starts: its refusal is then
        the protocol's ``error``; :meth:`hold` checks again)."""
        for key, (most, what) in limits.items():
            if self.held(key) >= most:
                raise TooManySubscriptions(
                    f"{what} already holds {most} {noun}, the most allowed; close one first",
                    limit=most,
                )

    def take(self, limits: dict[str, tuple[int, str]], noun: str = "open subscriptions") -> None:
        """One seat under each key of ``limits`` (after :meth:`check`); give it back with
        :meth:`release`."""
        self.check(limits, noun)
        for key in limits:
            self._held[key] = self.held(key) + 1

    def release(self, keys: Iterable[str]) -> None:
        for key in keys:
            left = self.held(key) - 1
            if left > 0:
                self._held[key] = left
            else:
                self._held.pop(key, None)

    @contextlib.asynccontextmanager
    async def hold(self, limits: dict[str, tuple[int, str]]) -> AsyncIterator[None]:
        """One seat under each key of ``limits`` for the block."""
        self.take(limits)
        try:
            yield
        finally:
            self.release(limits)


class Downstream:
    """The products each event reaches downstream, computed once per event id."""

    def __init__(self, size: int = RECENT_EVENTS) -> None:
        self._size = size
        self._found: OrderedDict[str, asyncio.Future[frozenset[str]]] = OrderedDict()

    async def of(
        self, event_id: str, compute: Callable[[], Awaitable[frozenset[str]]]
    ) -> frozenset[str]:
        found = self._found.get(event_id)
        if found is None:
            found = asyncio.ensure_future(compute())
            self._found[event_id] = found
            while len(self._found) > self._size:
                self._found.popitem(last=False)
        return await asyncio.shield(found)


class Live:
    """The seats and the downstream cache of one process's live subscriptions."""

    def __init__(self) -> None:
        self.seats = Seats()
        self.downstream = Downstream()
