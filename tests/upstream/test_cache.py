"""The document cache, on the memory backend and on a real Redis."""

from __future__ import annotations

import doctest
import time
from collections.abc import AsyncIterator

import pytest

import gateway.cache
from gateway.cache import CachedDocument, DocumentCache, MemoryDocumentCache, create_cache
from gateway.errors import BadRequest
from gateway.settings import Settings
from tests.fixtures.waiting import until_awaited


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[DocumentCache]:
    if request.param == "redis":
        settings = Settings(cache_backend="redis", redis_url=request.getfixturevalue("redis_url"))
    else:
        settings = Settings(cache_backend="memory")
    made = create_cache(settings)
    yield made
    await made.close()


async def test_round_trip_keeps_data_source_and_time(cache: DocumentCache) -> None:
    key = f"http://127.0.0.1:1/doc/{time.time_ns()}"
    doc = CachedDocument({"a": [1, 2, {"b": None}]}, key, 1700000000.5, size=27)
    assert await cache.get(key) is None
    await cache.set(key, doc)
    assert await cache.get(key) == doc


@pytest.mark.parametrize("backend", ["memory", "redis"])
@pytest.mark.parametrize(("fresh", "stale"), [(0, 1), (1, 0)])
async def test_entries_live_as_long_as_the_longer_of_the_two_times(
    request: pytest.FixtureRequest, backend: str, fresh: float, stale: float
) -> None:
    redis = {"redis_url": request.getfixturevalue("redis_url")} if backend == "redis" else {}
    settings = Settings(
        cache_backend=backend, cache_ttl_seconds=fresh, stale_ttl_seconds=stale, **redis
    )
    made = create_cache(settings)
    key = f"expiring/{time.time_ns()}"

    async def gone() -> bool:
        return await made.get(key) is None

    set_at = time.perf_counter()
    await made.set(key, CachedDocument(1, key, 0.0))
    # Kept for the longer time (1 s), not the shorter (0, "keep nothing"): it is still
    # there at 0.9 s (a get does not extend an entry), and then it does expire.
    await until_awaited(gone, "the entry to expire", timeout=10)
    assert time.perf_counter() - set_at >= 0.9
    await made.close()


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_zero_times_keep_nothing(request: pytest.FixtureRequest, backend: str) -> None:
    # Before: a TTL of 0 reached aiocache, which reads it as "no expiry": kept for ever.
    redis = {"redis_url": request.getfixturevalue("redis_url")} if backend == "redis" else {}
    settings = Settings(cache_backend=backend, cache_ttl_seconds=0, stale_ttl_seconds=0, **redis)
    made = create_cache(settings)
    key = f"never-kept/{time.time_ns()}"
    await made.set(key, CachedDocument(1, key, 0.0))
    assert await made.get(key) is None
    await made.close()


def doc(key: str, size: int) -> CachedDocument:
    return CachedDocument({"k": key}, key, 0.0, size=size)


async def test_the_default_memory_cache_is_bounded() -> None:
    # Before: aiocache's memory backend kept every document (8 MB each) for an hour.
    settings = Settings()
    made = create_cache(settings)
    eight_mb = 8 * 1024 * 1024
    for i in range(200):
        await made.set(f"k{i}", doc(f"k{i}", eight_mb))
    kept = [i for i in range(200) if await made.get(f"k{i}") is not None]
    assert len(kept) == settings.cache_max_bytes // eight_mb == 8
    assert kept == list(range(192, 200))  # the most recent ones


async def test_least_recently_used_go_first_by_bytes() -> None:
    cache = MemoryDocumentCache(ttl=60, max_bytes=100, max_entries=1000)
    for key in "abc":
        await cache.set(key, doc(key, 40))  # 120 bytes: "a" goes
    assert cache.keys() == ["b", "c"] and cache.bytes == 80
    assert await cache.get("b") is not None  # "b" is now the most recently used
    await cache.set("d", doc("d", 30))
    assert cache.keys() == ["b", "d"] and cache.bytes == 70
    await cache.set("b", doc("b", 10))  # replacing counts the new size only
    assert cache.keys() == ["d", "b"] and cache.bytes == 40


async def test_least_recently_used_go_first_by_count() -> None:
    cache = MemoryDocumentCache(ttl=60, max_bytes=10**9, max_entries=2)
    for key in "abc":
        await cache.set(key, doc(key, 1))
    assert cache.keys() == ["b", "c"]


async def test_a_document_larger_than_the_budget_is_not_kept() -> None:
    cache = MemoryDocumentCache(ttl=60, max_bytes=100, max_entries=10)
    await cache.set("small", doc("small", 50))
    await cache.set("huge", doc("huge", 101))
    assert cache.keys() == ["small"] and cache.bytes == 50


async def test_expired_entries_are_dropped_and_uncounted() -> None:
    now = [0.0]
    cache = MemoryDocumentCache(ttl=10, max_bytes=100, max_entries=10, clock=lambda: now[0])
    await cache.set("a", doc("a", 60))
    now[0] = 9.9
    assert await cache.get("a") is not None
    now[0] = 10.0
    assert await cache.get("a") is None
    assert cache.keys() == [] and cache.bytes == 0


def test_docstring_examples() -> None:
    result = doctest.testmod(gateway.cache)
    assert result.failed == 0 and result.attempted > 0


async def test_unreachable_redis_is_a_miss_not_a_failure() -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    made = create_cache(Settings(cache_backend="redis", redis_url="redis://127.0.0.1:1/0"))
    await made.set("k", CachedDocument(1, "k", 0.0))
    assert await made.get("k") is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (Settings(cache_backend="disk"), "MESHGATE_CACHE_BACKEND='disk'"),
        (Settings(cache_backend="redis", redis_url="http://x"), "MESHGATE_REDIS_URL='http://x'"),
    ],
)
def test_bad_settings_name_the_variable(settings: Settings, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        create_cache(settings)
