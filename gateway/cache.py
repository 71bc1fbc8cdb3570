"""The cache of product documents: in memory by default (bounded), Redis when shared.

An entry is kept for as long as a reader may want it: ``max(cache_ttl, stale_ttl)``
seconds. Whether it is still *fresh*, or young enough to answer for a product that is
down, is decided by the reader from its ``fetched_at`` (see
:mod:`gateway.upstream.fetcher`), so one entry serves both paths. With both times 0
nothing is kept.

The memory cache is bounded by ``cache_max_bytes`` (the size of the documents' bodies as
received, which the fetcher already knows, so measuring costs nothing) and
``cache_max_entries``; the least recently used entries go first, and a document larger
than the whole budget is not kept. Redis bounds its own memory (``maxmemory``).
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from aiocache import Cache
from aiocache.serializers import JsonSerializer

from gateway.errors import BadRequest
from gateway.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedDocument:
    """A JSON document fetched from ``source`` at ``fetched_at`` (Unix seconds); ``size``
    is the length in bytes of the body it was decoded from (0: unknown)."""

    data: Any
    source: str
    fetched_at: float
    size: int = 0


class DocumentCache(Protocol):
    async def get(self, key: str) -> CachedDocument | None: ...

    async def set(self, key: str, doc: CachedDocument) -> None: ...

    async def close(self) -> None: ...


class MemoryDocumentCache:
    """A :class:`DocumentCache` in this process: entries expire after ``ttl`` seconds and
    the least recently used go first beyond ``max_bytes`` or ``max_entries``.

    >>> import asyncio
    >>> cache = MemoryDocumentCache(ttl=60, max_bytes=10, max_entries=100)
    >>> for key in "abc":
    ...     asyncio.run(cache.set(key, CachedDocument(key, key, 0.0, size=4)))
    >>> sorted(cache.keys())  # 12 bytes do not fit in 10: the oldest went
    ['b', 'c']
    """

    def __init__(
        self,
        *,
        ttl: float,
        max_bytes: int,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._clock = clock
        # key -> (document, expires at), least recently used first.
        self._entries: OrderedDict[str, tuple[CachedDocument, float]] = OrderedDict()
        self.bytes = 0

    async def get(self, key: str) -> CachedDocument | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        doc, expires = entry
        if self._clock() >= expires:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return doc

    async def set(self, key: str, doc: CachedDocument) -> None:
        self._drop(key)
        if self._ttl <= 0 or doc.size > self._max_bytes:
            return
        self._entries[key] = (doc, self._clock() + self._ttl)
        self.bytes += doc.size
        while self.bytes > self._max_bytes or len(self._entries) > self._max_entries:
            self._drop(next(iter(self._entries)))

    async def close(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def keys(self) -> list[str]:
        """The keys held, least recently used first (for tests and debugging)."""
        return list(self._entries)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.bytes -= entry[0].size


class AiocacheDocumentCache:
    """A :class:`DocumentCache` over any aiocache backend (Redis here).

    A cache that fails (Redis gone) is logged and treated as a miss: the gateway keeps
    answering from the products themselves.
    """

    def __init__(self, backend: Any, *, ttl: float) -> None:
        self._backend = backend
        self._ttl = ttl

    async def get(self, key: str) -> CachedDocument | None:
        try:
            value = await self._backend.get(key)
        except Exception as exc:  # the cache is an optimisation, never a failure
            log.warning("cache read failed for %s: %s", key, exc)
            return None
        if not isinstance(value, dict):
            return None
        return CachedDocument(
            value["data"], value["source"], float(value["fetchedAt"]), int(value.get("size", 0))
        )

    async def set(self, key: str, doc: CachedDocument) -> None:
        if self._ttl <= 0:
            return  # aiocache (and Redis) read a TTL of 0 as "for ever"
        value = {"data": doc.data, "source": doc.source, "fetchedAt": doc.fetched_at}
        value["size"] = doc.size
        # Whole milliseconds, at least one: Redis refuses a PSETEX of 0.
        ttl = math.ceil(self._ttl * 1000) / 1000
        try:
            await self._backend.set(key, value, ttl=ttl)
        except Exception as exc:
            log.warning("cache write failed for %s: %s", key, exc)

    async def close(self) -> None:
        await self._backend.close()


def create_cache(settings: Settings) -> DocumentCache:
    """The cache named by ``MESHGATE_CACHE_BACKEND`` (``memory`` or ``redis``)."""
    ttl = max(settings.cache_ttl_seconds, settings.stale_ttl_seconds)
    if settings.cache_backend == "memory":
        return MemoryDocumentCache(
            ttl=ttl, max_bytes=settings.cache_max_bytes, max_entries=settings.cache_max_entries
        )
    if settings.cache_backend == "redis":
        url = urlsplit(settings.redis_url)
        if url.scheme != "redis":
            raise BadRequest(
                f"MESHGATE_REDIS_URL={settings.redis_url!r}: expected redis://host:port/db"
            )
        backend = Cache(
            Cache.REDIS,
            endpoint=url.hostname or "127.0.0.1",
            port=url.port or 6379,
            db=int(url.path.lstrip("/") or 0),
            password=url.password,
            namespace="meshgate:",
            serializer=JsonSerializer(),
            create_connection_timeout=1.0,
        )
        return AiocacheDocumentCache(backend, ttl=ttl)
    raise BadRequest(
        f"MESHGATE_CACHE_BACKEND={settings.cache_backend!r}: expected 'memory' or 'redis'"
    )
