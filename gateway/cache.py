"""The cache of product documents: aiocache, in memory by default, Redis when shared.

Entries are kept for ``stale_ttl`` seconds; whether one is still *fresh* is decided by
the reader from its ``fetched_at`` (see :mod:`gateway.upstream.fetcher`), so a single entry
serves both the fresh path and the stale fallback when a product is down.
"""

from __future__ import annotations

import logging
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
    """A JSON document fetched from ``source`` at ``fetched_at`` (Unix seconds)."""

    data: Any
    source: str
    fetched_at: float


class DocumentCache(Protocol):
    async def get(self, key: str) -> CachedDocument | None: ...

    async def set(self, key: str, doc: CachedDocument) -> None: ...

    async def close(self) -> None: ...


class AiocacheDocumentCache:
    """A :class:`DocumentCache` over any aiocache backend.

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
        return CachedDocument(value["data"], value["source"], float(value["fetchedAt"]))

    async def set(self, key: str, doc: CachedDocument) -> None:
        value = {"data": doc.data, "source": doc.source, "fetchedAt": doc.fetched_at}
        try:
            await self._backend.set(key, value, ttl=self._ttl)
        except Exception as exc:
            log.warning("cache write failed for %s: %s", key, exc)

    async def close(self) -> None:
        await self._backend.close()


def create_cache(settings: Settings) -> AiocacheDocumentCache:
    """The cache named by ``MESHGATE_CACHE_BACKEND`` (``memory`` or ``redis``)."""
    if settings.cache_backend == "memory":
        backend = Cache(Cache.MEMORY, namespace="meshgate:")
    elif settings.cache_backend == "redis":
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
    else:
        raise BadRequest(
            f"MESHGATE_CACHE_BACKEND={settings.cache_backend!r}: expected 'memory' or 'redis'"
        )
    return AiocacheDocumentCache(backend, ttl=settings.stale_ttl_seconds)
