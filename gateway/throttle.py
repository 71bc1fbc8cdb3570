"""How many requests each caller may send: a token bucket and an in-flight count per key.

Plain Python, no HTTP: ``gateway.http.rate_limit`` asks :meth:`CallerLimiter.admit` before
a request runs and calls :meth:`CallerLimiter.release` when it ends. The state lives in
the process: with several worker processes each one counts on its own (a caller may get
up to ``workers`` times the limits). Calls happen on one event loop with no ``await``
between the check and the update, so no lock is needed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

PRUNE_EVERY = 1024  # new keys between two sweeps of idle callers


@dataclass(frozen=True)
class Refusal:
    """Why a request was not admitted and how many whole seconds to wait."""

    reason: str
    retry_after: int


@dataclass
class _Caller:
    tokens: float
    updated: float
    in_flight: int = 0


class CallerLimiter:
    """``per_minute`` requests per caller (a bucket of that many tokens, refilled
    continuously) and ``concurrent`` requests in flight per caller; 0 turns either off.

    >>> clock = iter([0.0, 0.0, 0.0]).__next__
    >>> limiter = CallerLimiter(per_minute=2, concurrent=0, clock=clock)
    >>> limiter.admit("a"), limiter.admit("a")
    (None, None)
    >>> limiter.admit("a")
    Refusal(reason='more than 2 requests per minute', retry_after=30)
    """

    def __init__(
        self,
        per_minute: int,
        concurrent: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = max(per_minute, 0)
        self.concurrent = max(concurrent, 0)
        self._clock = clock
        self._rate = self.per_minute / 60.0  # tokens per second
        self._callers: dict[str, _Caller] = {}
        self._new_keys = 0

    @property
    def enabled(self) -> bool:
        return bool(self.per_minute or self.concurrent)

    def admit(self, key: str) -> Refusal | None:
        """Admit one request of ``key`` (then :meth:`release` it) or say why not."""
        now = self._clock()
        caller = self._callers.get(key)
        if caller is None:
            caller = self._callers[key] = _Caller(tokens=float(self.per_minute), updated=now)
            self._new_keys += 1
            if self._new_keys >= PRUNE_EVERY:
                self._prune(now)
        self._refill(caller, now)
        if self.concurrent and caller.in_flight >= self.concurrent:
            return Refusal(f"more than {self.concurrent} requests at once", retry_after=1)
        if self.per_minute:
            if caller.tokens < 1.0:
                wait = math.ceil((1.0 - caller.tokens) / self._rate)
                return Refusal(
                    f"more than {self.per_minute} requests per minute", retry_after=max(wait, 1)
                )
            caller.tokens -= 1.0
        caller.in_flight += 1
        return None

    def spent(self, key: str) -> Refusal | None:
        """Why ``key`` would be refused now, without spending anything (None: it would not).

        >>> limiter = CallerLimiter(per_minute=1, concurrent=0, clock=lambda: 0.0)
        >>> limiter.spent("a") is None, limiter.admit("a") is None, limiter.spent("a")
        (True, True, Refusal(reason='more than 1 requests per minute', retry_after=60))
        """
        caller = self._callers.get(key)
        if caller is None or not self.per_minute:
            return None
        self._refill(caller, self._clock())
        if caller.tokens >= 1.0:
            return None
        wait = math.ceil((1.0 - caller.tokens) / self._rate)
        return Refusal(f"more than {self.per_minute} requests per minute", retry_after=max(wait, 1))

    def release(self, key: str) -> None:
        """The end of a request :meth:`admit` let in."""
        caller = self._callers.get(key)
        if caller is not None and caller.in_flight > 0:
            caller.in_flight -= 1

    def in_flight(self, key: str) -> int:
        caller = self._callers.get(key)
        return caller.in_flight if caller else 0

    def __len__(self) -> int:
        return len(self._callers)

    def _refill(self, caller: _Caller, now: float) -> None:
        if self.per_minute:
            elapsed = max(now - caller.updated, 0.0)
            caller.tokens = min(float(self.per_minute), caller.tokens + elapsed * self._rate)
        caller.updated = now

    def _prune(self, now: float) -> None:
        """Forget callers with nothing in flight and a full bucket: they are as new.

        Keeps memory proportional to the callers active in the last minute, however many
        addresses a client cycles through.
        """
        self._new_keys = 0
        for key in list(self._callers):
            caller = self._callers[key]
            self._refill(caller, now)
            if caller.in_flight == 0 and caller.tokens >= self.per_minute:
                del self._callers[key]
