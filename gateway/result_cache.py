"""Whole answers to GraphQL queries, kept while every document they used is fresh.

A warm gateway spends most of a request building an answer it gave a moment ago from the
same cached documents (docs/benchmarks.md, "Where the time goes"). This cache keeps the
encoded answer itself. What may be kept, and under which key, is decided by the graph
(``schema/cached_answers.py``); this module only keeps answers safely:

* the key is a hash of everything the answer depends on: the document's text, the
  operation's name, the variables (canonical JSON) and the caller (kind, issuer, subject
  and roles: a caller with other rights has another key; anonymous callers share one);
* an answer expires when the first document it used does (its fetch time plus the
  document cache's TTL), and at once when the state it came from changes: the registry
  (its ``generation``), a product's health or certification (their hubs' ``published``
  counts), read through ``epoch`` before the answer is built and checked at each use;
* callers of a key with no answer kept wait for the one caller building it (single
  flight), so a burst of the same question costs one build;
* an expired answer is served for ``stale_seconds`` more while ONE refresh per key runs
  in the background (single flight); with too many refreshes running, the caller builds
  its answer itself;
* entries and bytes are bounded (least recently used go first); an answer bigger than a
  quarter of the bytes is not kept.

>>> cache = ResultCache(max_entries=2, max_bytes=1000, stale_seconds=5, epoch=lambda: 0,
...                     clock=lambda: 100.0)
>>> key = cache.key("{ a }", None, {}, ("anonymous", "", "anonymous", ()))
>>> cache.put(key, b'{"data":{"a":1}}', expires=110.0, epoch=0)
>>> cache.get(key).body, cache.get(key).fresh
(b'{"data":{"a":1}}', True)
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

MAX_REFRESHES = 8
"""Background refreshes running at once; past this, an expired answer is built inline."""

Caller = tuple[str, str, str, tuple[str, ...]]
"""(kind, issuer, subject, sorted roles): what a caller may see is decided by these."""


@dataclass(frozen=True)
class _Entry:
    body: bytes
    expires: float
    epoch: Hashable


@dataclass(frozen=True)
class Hit:
    """A kept answer: ``fresh``, or stale (served while one refresh runs)."""

    body: bytes
    fresh: bool


class ResultCache:
    """Encoded answers by key, bounded, expiring with their documents and their epoch."""

    def __init__(
        self,
        *,
        max_entries: int,
        max_bytes: int,
        stale_seconds: float,
        epoch: Callable[[], Hashable],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.stale_seconds = stale_seconds
        self.epoch = epoch
        self._clock = clock
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._bytes = 0
        self._refreshing: dict[bytes, asyncio.Task[None]] = {}
        self._building: dict[bytes, asyncio.Future[bytes | None]] = {}

    @staticmethod
    def key(
        text: str, operation_name: str | None, variables: Mapping[str, Any] | None, caller: Caller
    ) -> bytes | None:
        """The key of an answer (32 bytes whatever the inputs' size); None when the
        variables are not plain JSON (then nothing is kept)."""
        try:
            material = json.dumps(
                [text, operation_name, variables or {}, caller],
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=False,
            )
        except (TypeError, ValueError):
            return None
        return hashlib.sha256(material.encode("utf-8", "surrogatepass")).digest()

    def get(self, key: bytes) -> Hit | None:
        """The answer kept under ``key`` if it may still be served."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self._clock()
        if entry.epoch != self.epoch() or now > entry.expires + self.stale_seconds:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return Hit(entry.body, fresh=now <= entry.expires)

    def put(self, key: bytes, body: bytes, *, expires: float, epoch: Hashable) -> None:
        """Keep ``body`` until ``expires`` (wall-clock seconds), if ``epoch`` is still the
        current one and it fits. An answer past ``expires`` already (a document it read
        expired while it was built) is still the newest: it is kept as an expired one,
        served for what is left of ``stale_seconds`` while a refresh runs, rather than
        leaving callers nothing to be served but their own builds."""
        self._drop(key)
        stale_until = expires + self.stale_seconds
        if epoch != self.epoch() or stale_until <= self._clock() or len(body) > self.max_bytes // 4:
            return
        self._entries[key] = _Entry(body, expires, epoch)
        self._bytes += len(body)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            oldest = next(iter(self._entries))
            self._drop(oldest)

    def under_way(self, key: bytes) -> asyncio.Future[bytes | None] | None:
        """The build of ``key``'s answer a caller started, if one is under way: it gives
        the encoded answer if it may be kept, else None (then build your own: such an
        answer may name its request, as errors do)."""
        return self._building.get(key)

    def begin(self, key: bytes) -> None:
        """A caller builds ``key``'s answer: callers of the same key wait for it."""
        self._building[key] = asyncio.get_running_loop().create_future()

    def end(self, key: bytes, body: bytes | None) -> None:
        """The build of ``key`` is over: ``body`` if it may be kept, else None."""
        future = self._building.pop(key, None)
        if future is not None and not future.done():
            future.set_result(body)

    def drop(self, key: bytes) -> None:
        """Forget the answer under ``key``: it was built again and may not be kept (an
        error, a stale copy), so the next caller must see what it is now."""
        self._drop(key)

    def refresh(self, key: bytes, work: Callable[[], Coroutine[Any, Any, None]]) -> bool:
        """Run ``work`` (which rebuilds and puts the answer) in the background unless a
        refresh of ``key`` runs already; False when too many run (build it inline)."""
        if key in self._refreshing:
            return True
        if len(self._refreshing) >= MAX_REFRESHES:
            return False
        task = asyncio.get_running_loop().create_task(self._run(work))
        self._refreshing[key] = task
        task.add_done_callback(lambda _: self._refreshing.pop(key, None))
        return True

    @staticmethod
    async def _run(work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        try:
            await work()
        except Exception:  # the stale answer stays until its bound; the next use retries
            log.exception("refreshing a kept answer failed")

    async def close(self) -> None:
        """Stop the refreshes still running."""
        tasks = list(self._refreshing.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _drop(self, key: bytes) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.body)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        """Bytes of the answers kept."""
        return self._bytes
