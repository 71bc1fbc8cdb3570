"""A small time-bounded cache for probe answers, computing each key once at a time.

Health and metrics are asked often (by the mesh gateway, dashboards, load balancers);
probing the store for each request would put the product's store under the same load.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class TimedCache:
    """Values kept ``ttl`` seconds; concurrent misses of one key share one computation."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._values: dict[str, tuple[float, Any]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str, compute: Callable[[], Awaitable[T]]) -> T:
        """The cached value of ``key``, computed by ``compute()`` when missing or old."""
        hit = self._fresh(key)
        if hit is not None:
            return hit[1]  # type: ignore[no-any-return]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            hit = self._fresh(key)  # another request may have filled it while we waited
            if hit is not None:
                return hit[1]  # type: ignore[no-any-return]
            value = await compute()
            self._values[key] = (self._clock(), value)
            return value

    def clear(self) -> None:
        """Forget every value (after a change that makes them wrong)."""
        self._values.clear()

    def _fresh(self, key: str) -> tuple[float, Any] | None:
        hit = self._values.get(key)
        if hit is not None and self._clock() - hit[0] < self.ttl:
            return hit
        return None
