"""Fetch JSON documents from product gateways: cached, coalesced, stale when down.

The read path for one URL:

1. a cached copy younger than ``fresh_ttl`` is returned as is;
2. otherwise one request goes out (concurrent callers for the same URL share it);
3. if it fails and a cached copy younger than ``stale_ttl`` exists, that copy is returned
   marked ``stale`` with a warning; if none exists the translated
   :class:`~gateway.errors.UpstreamError` is raised.

The shared request of step 2 is a task the fetcher owns, not the first caller's: a caller
that goes away (its request cancelled) leaves the others waiting for the same answer,
and the request is cancelled only when nobody waits for it any more. Each request goes
out as an :class:`~gateway.upstream.breaker.Attempt`, which settles the host's breaker
however it ends.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from gateway.cache import CachedDocument, DocumentCache
from gateway.errors import UpstreamError, UpstreamUnavailable
from gateway.settings import Settings
from gateway.upstream.breaker import CircuitBreaker
from gateway.upstream.read import DEFAULT_TOTAL_TIMEOUT, NoDocument, fetch_document

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fetched:
    """A document and where and when it came from."""

    data: Any
    source: str
    fetched_at: datetime
    stale: bool = False
    warning: str | None = None


@dataclass
class _Shared:
    """One request for a URL and how many callers wait for it."""

    task: asyncio.Task[CachedDocument]
    waiters: int = 0


class UpstreamFetcher:
    def __init__(
        self,
        http: httpx.AsyncClient,
        cache: DocumentCache,
        *,
        fresh_ttl: float,
        stale_ttl: float = math.inf,
        breaker: CircuitBreaker | None = None,
        max_bytes: int = 8 * 1024 * 1024,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``total_timeout`` bounds each fetch, connection to last byte; a cached copy
        older than ``stale_ttl`` seconds is never served (the cache may keep it longer)."""
        self._http = http
        self._cache = cache
        self._fresh_ttl = fresh_ttl
        self._stale_ttl = stale_ttl
        self._breaker = breaker or CircuitBreaker()
        self._max_bytes = max_bytes
        self._total_timeout = total_timeout
        self._clock = clock
        self._inflight: dict[str, _Shared] = {}
        # The request running as each host's breaker trial: other requests to that host
        # wait for its verdict instead of being refused while it runs.
        self._trials: dict[str, asyncio.Task[Any]] = {}

    @classmethod
    def from_settings(
        cls, http: httpx.AsyncClient, cache: DocumentCache, settings: Settings
    ) -> UpstreamFetcher:
        """The fetcher of a running gateway: times, sizes and breaker from ``settings``."""
        return cls(
            http,
            cache,
            fresh_ttl=settings.cache_ttl_seconds,
            stale_ttl=settings.stale_ttl_seconds,
            breaker=CircuitBreaker(
                threshold=settings.upstream_breaker_threshold,
                cooldown=settings.upstream_breaker_cooldown_seconds,
            ),
            max_bytes=settings.upstream_max_document_bytes,
            total_timeout=settings.upstream_total_timeout,
        )

    async def get_json(
        self, url: str, *, product_id: str | None = None, max_age: float | None = None
    ) -> Fetched:
        """The JSON document at ``url``, fresh, cached or stale (see module doc).

        With no fresh time (``fresh_ttl`` 0) the cache is read only when the fetch fails,
        for a stale copy: no copy could answer before. ``max_age`` (at most ``fresh_ttl``)
        asks for a copy younger than that, for a reader that will keep what it builds:
        a background refresh of a kept answer (schema/asgi.py).
        """
        fresh_for = self._fresh_ttl if max_age is None else min(max_age, self._fresh_ttl)
        cached = await self._cache.get(url) if self._fresh_ttl > 0 else None
        if cached is not None and self._clock() - cached.fetched_at < fresh_for:
            return _fetched(cached)
        try:
            doc = await self._coalesced(url, product_id)
        except UpstreamError as exc:
            if cached is None and self._stale_ttl > 0:
                cached = await self._cache.get(url)
            if cached is None:
                raise
            age = self._clock() - cached.fetched_at
            if age > self._stale_ttl:
                raise
            warning = f"{exc.message}; serving a copy fetched {int(age)}s ago"
            log.warning("%s (product %s)", warning, product_id)
            return _fetched(cached, stale=True, warning=warning)
        return _fetched(doc)

    async def _coalesced(self, url: str, product_id: str | None) -> CachedDocument:
        shared = self._inflight.get(url)
        if shared is None:
            task = asyncio.create_task(self._fetch(url, product_id))
            task.add_done_callback(_retrieve)
            shared = self._inflight[url] = _Shared(task)
            task.add_done_callback(lambda _: self._forget(url, shared))
        shared.waiters += 1
        try:
            return await asyncio.shield(shared.task)
        finally:
            shared.waiters -= 1
            if shared.waiters == 0 and not shared.task.done():
                # The last caller went away: nobody needs the answer now. It leaves once
                # the request has unwound (and settled the breaker), not before.
                shared.task.cancel()
                self._forget(url, shared)
                await asyncio.wait([shared.task])

    def _forget(self, url: str, shared: _Shared) -> None:
        if self._inflight.get(url) is shared:
            del self._inflight[url]

    async def _fetch(self, url: str, product_id: str | None) -> CachedDocument:
        host = urlsplit(url).netloc
        attempt = self._breaker.attempt(host)
        trial = self._trials.get(host)
        if attempt is None and trial is not None:
            # A product's documents are read at once (metadata, health...): the one that
            # is the trial decides for the others, so a recovered product answers whole.
            await asyncio.wait([trial])
            attempt = self._breaker.attempt(host)
        if attempt is None:
            log.info("breaker open for %s; %s not fetched", host, url)
            raise UpstreamUnavailable(
                "product gateway is failing; not retried for a few seconds",
                product_id=product_id,
            )
        if attempt.trial:
            current = asyncio.current_task()
            if current is not None:
                self._trials[host] = current
        try:
            with attempt:  # settles the breaker on every way out, cancellation included
                try:
                    answer = await fetch_document(
                        self._http,
                        url,
                        what="product gateway",
                        max_bytes=self._max_bytes,
                        product_id=product_id,
                        deadline=self._total_timeout,
                    )
                except NoDocument as exc:
                    # A 4xx is the product answering; only silence, 5xx and answers that are
                    # not a JSON document (garbage, nested too deeply) mean it is unwell.
                    if exc.status is not None and 400 <= exc.status < 500:
                        attempt.succeeded()
                    raise
        finally:
            if self._trials.get(host) is asyncio.current_task():
                del self._trials[host]
        doc = CachedDocument(
            data=answer.data, source=url, fetched_at=self._clock(), size=answer.size
        )
        # Written even when this fetcher serves no copy (the health monitor's): the cache
        # is shared, and the readers of the graph then answer from what it just read.
        await self._cache.set(url, doc)
        return doc


def _retrieve(task: asyncio.Task[CachedDocument]) -> None:
    """Mark the shared request's outcome as seen: when its last waiter was cancelled just
    as it failed, nobody reads the exception, and asyncio would warn at exit."""
    if not task.cancelled():
        task.exception()


def _fetched(doc: CachedDocument, *, stale: bool = False, warning: str | None = None) -> Fetched:
    return Fetched(
        data=doc.data,
        source=doc.source,
        fetched_at=datetime.fromtimestamp(doc.fetched_at, UTC),
        stale=stale,
        warning=warning,
    )
