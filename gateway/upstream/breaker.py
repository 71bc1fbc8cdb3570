"""A per-host circuit breaker, so a dead product costs one timeout, not one per field.

After ``threshold`` consecutive failures a host is *open* for ``cooldown`` seconds: calls
fail at once. Then one trial call is let through (*half-open*); success closes it, a
failure opens it for another full cooldown.

A call goes out as an :class:`Attempt`, a context manager that settles the breaker
however the call ends, so no way out of a trial (an unexpected exception, a caller that
went away) can leave the host blocked:

- the block ends normally: success;
- it raises an ``Exception``: failure (unless the caller settled it first, e.g. a 4xx
  answer, which is the host answering);
- it is interrupted (``CancelledError``, ``GeneratorExit``): no verdict on the host; a
  trial hands its place to the next caller.

>>> breaker = CircuitBreaker(threshold=1, cooldown=0.0)
>>> with breaker.attempt("h"):
...     raise RuntimeError("the product answered something unreadable")
Traceback (most recent call last):
RuntimeError: the product answered something unreadable
>>> breaker.is_open("h")
True
>>> with breaker.attempt("h"):  # the trial, after the cooldown
...     pass
>>> breaker.is_open("h")
False
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType


@dataclass
class _HostState:
    failures: int = 0
    opened_at: float | None = None
    trial_running: bool = False


class CircuitBreaker:
    def __init__(
        self,
        *,
        threshold: int = 3,
        cooldown: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._hosts: dict[str, _HostState] = {}

    def attempt(self, host: str) -> Attempt | None:
        """A call to ``host`` that may go out now (use it as a context manager), or None
        while the host is blocked (open, or its one trial is running)."""
        state = self._hosts.get(host)
        if state is None or state.opened_at is None:
            return Attempt(self, host, trial=False)
        if self._clock() - state.opened_at < self.cooldown or state.trial_running:
            return None
        state.trial_running = True
        return Attempt(self, host, trial=True)

    def allow(self, host: str) -> bool:
        """Whether a call to ``host`` may go out now.

        The caller must then report :meth:`success`, :meth:`failure` or :meth:`release`
        on every path; :meth:`attempt` does that for it.
        """
        return self.attempt(host) is not None

    def success(self, host: str) -> None:
        """The host answered: it is closed again."""
        self._hosts.pop(host, None)

    def failure(self, host: str) -> None:
        """A trial (or any call) failed: one more failure, opened at the threshold."""
        self._failed(host, trial=True)

    def release(self, host: str) -> None:
        """A trial ended without a verdict (cancelled): the next caller may try."""
        state = self._hosts.get(host)
        if state is not None:
            state.trial_running = False

    def is_open(self, host: str) -> bool:
        state = self._hosts.get(host)
        return state is not None and state.opened_at is not None

    def _failed(self, host: str, *, trial: bool) -> None:
        state = self._hosts.setdefault(host, _HostState())
        state.failures += 1
        if trial:
            state.trial_running = False
        if state.failures >= self.threshold:
            state.opened_at = self._clock()


class Attempt:
    """One call through the breaker; see the module doc for how it settles."""

    def __init__(self, breaker: CircuitBreaker, host: str, *, trial: bool) -> None:
        self._breaker = breaker
        self.host = host
        self.trial = trial
        self._settled = False

    def succeeded(self) -> None:
        """Record that the host answered, even if the call goes on to raise."""
        if not self._settled:
            self._settled = True
            self._breaker.success(self.host)

    def failed(self) -> None:
        """Record that the host failed, even if the call ends normally."""
        if not self._settled:
            self._settled = True
            self._breaker._failed(self.host, trial=self.trial)

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._settled:
            return
        if kind is None:
            self.succeeded()
        elif issubclass(kind, Exception):
            self.failed()
        else:  # cancelled or closed: says nothing about the host
            self._settled = True
            if self.trial:
                self._breaker.release(self.host)
