"""Fetch JSON documents from product gateways: cached, coalesced, stale when down.

The read path for one URL:

1. a cached copy younger than ``fresh_ttl`` is returned as is;
2. otherwise one request goes out (concurrent callers for the same URL share it);
3. if it fails and a cached copy exists, that copy is returned marked ``stale`` with a
   warning; if none exists the translated :class:`~gateway.errors.UpstreamError` is raised.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from gateway.cache import CachedDocument, DocumentCache
from gateway.errors import UpstreamError, UpstreamUnavailable
from gateway.upstream.breaker import CircuitBreaker
from gateway.upstream.read import DEFAULT_TOTAL_TIMEOUT, NoDocument, fetch_json

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fetched:
    """A document and where and when it came from."""

    data: Any
    source: str
    fetched_at: datetime
    stale: bool = False
    warning: str | None = None


class UpstreamFetcher:
    def __init__(
        self,
        http: httpx.AsyncClient,
        cache: DocumentCache,
        *,
        fresh_ttl: float,
        breaker: CircuitBreaker | None = None,
        max_bytes: int = 8 * 1024 * 1024,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``total_timeout`` bounds each fetch, connection to last byte."""
        self._http = http
        self._cache = cache
        self._fresh_ttl = fresh_ttl
        self._breaker = breaker or CircuitBreaker()
        self._max_bytes = max_bytes
        self._total_timeout = total_timeout
        self._clock = clock
        self._inflight: dict[str, asyncio.Future[CachedDocument]] = {}

    async def get_json(self, url: str, *, product_id: str | None = None) -> Fetched:
        """The JSON document at ``url``, fresh, cached or stale (see module doc)."""
        cached = await self._cache.get(url)
        if cached is not None and self._clock() - cached.fetched_at < self._fresh_ttl:
            return _fetched(cached)
        try:
            doc = await self._coalesced(url, product_id)
        except UpstreamError as exc:
            if cached is None:
                raise
            age = int(self._clock() - cached.fetched_at)
            warning = f"{exc.message}; serving a copy fetched {age}s ago"
            log.warning("%s (product %s)", warning, product_id)
            return _fetched(cached, stale=True, warning=warning)
        return _fetched(doc)

    async def _coalesced(self, url: str, product_id: str | None) -> CachedDocument:
        pending = self._inflight.get(url)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[CachedDocument] = asyncio.get_running_loop().create_future()
        self._inflight[url] = future
        try:
            doc = await self._fetch(url, product_id)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: nobody else may be waiting
            raise
        else:
            future.set_result(doc)
            return doc
        finally:
            del self._inflight[url]

    async def _fetch(self, url: str, product_id: str | None) -> CachedDocument:
        host = urlsplit(url).netloc
        if not self._breaker.allow(host):
            log.info("breaker open for %s; %s not fetched", host, url)
            raise UpstreamUnavailable(
                "product gateway is failing; not retried for a few seconds",
                product_id=product_id,
            )
        try:
            data = await fetch_json(
                self._http,
                url,
                what="product gateway",
                max_bytes=self._max_bytes,
                product_id=product_id,
                deadline=self._total_timeout,
            )
        except UpstreamError as exc:
            # A 4xx is the product answering; only silence and 5xx mean it is unwell.
            status = exc.status if isinstance(exc, NoDocument) else None
            if status is not None and 400 <= status < 500:
                self._breaker.success(host)
            else:
                self._breaker.failure(host)
            raise
        self._breaker.success(host)
        doc = CachedDocument(data=data, source=url, fetched_at=self._clock())
        await self._cache.set(url, doc)
        return doc


def _fetched(doc: CachedDocument, *, stale: bool = False, warning: str | None = None) -> Fetched:
    return Fetched(
        data=doc.data,
        source=doc.source,
        fetched_at=datetime.fromtimestamp(doc.fetched_at, UTC),
        stale=stale,
        warning=warning,
    )
