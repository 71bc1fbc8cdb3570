"""The probe cache: one computation for many concurrent askers, fresh after the TTL."""

from __future__ import annotations

import asyncio

from productkit.cache import TimedCache


async def test_concurrent_misses_share_one_computation() -> None:
    cache = TimedCache(ttl=60)
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return calls

    answers = await asyncio.gather(*(cache.get("probe", compute) for _ in range(50)))
    assert answers == [1] * 50
    assert calls == 1


async def test_values_expire_after_the_ttl() -> None:
    now = [0.0]
    cache = TimedCache(ttl=5, clock=lambda: now[0])
    values = iter(range(10))

    async def compute() -> int:
        return next(values)

    assert await cache.get("k", compute) == 0
    now[0] = 4.9
    assert await cache.get("k", compute) == 0
    now[0] = 5.0
    assert await cache.get("k", compute) == 1
    cache.clear()
    assert await cache.get("k", compute) == 2
