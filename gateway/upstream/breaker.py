"""A per-host circuit breaker, so a dead product costs one timeout, not one per field.

After ``threshold`` consecutive failures a host is *open* for ``cooldown`` seconds: calls
fail at once. Then one trial call is let through (*half-open*); success closes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


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

    def allow(self, host: str) -> bool:
        """Whether a call to ``host`` may go out now."""
        state = self._hosts.get(host)
        if state is None or state.opened_at is None:
            return True
        if self._clock() - state.opened_at < self.cooldown or state.trial_running:
            return False
        state.trial_running = True
        return True

    def success(self, host: str) -> None:
        self._hosts.pop(host, None)

    def failure(self, host: str) -> None:
        state = self._hosts.setdefault(host, _HostState())
        state.failures += 1
        state.trial_running = False
        if state.failures >= self.threshold:
            state.opened_at = self._clock()

    def is_open(self, host: str) -> bool:
        state = self._hosts.get(host)
        return state is not None and state.opened_at is not None
