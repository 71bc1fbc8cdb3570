"""The document cache, on the memory backend and on a real Redis."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from gateway.cache import AiocacheDocumentCache, CachedDocument, create_cache
from gateway.errors import BadRequest
from gateway.settings import Settings


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[AiocacheDocumentCache]:
    if request.param == "redis":
        settings = Settings(cache_backend="redis", redis_url=request.getfixturevalue("redis_url"))
    else:
        settings = Settings(cache_backend="memory")
    made = create_cache(settings)
    yield made
    await made.close()


async def test_round_trip_keeps_data_source_and_time(cache: AiocacheDocumentCache) -> None:
    key = f"http://127.0.0.1:1/doc/{time.time_ns()}"
    doc = CachedDocument({"a": [1, 2, {"b": None}]}, key, 1700000000.5)
    assert await cache.get(key) is None
    await cache.set(key, doc)
    assert await cache.get(key) == doc


async def test_entries_expire_after_the_stale_ttl(redis_url: str) -> None:
    made = create_cache(Settings(cache_backend="redis", redis_url=redis_url, stale_ttl_seconds=1))
    key = f"expiring/{time.time_ns()}"
    await made.set(key, CachedDocument(1, key, 0.0))
    assert await made.get(key) is not None
    time.sleep(1.2)
    assert await made.get(key) is None
    await made.close()


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
