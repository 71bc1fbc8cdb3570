"""The serving process's heap, settled once its services are open, and again when it grows.

CPython's collector scans every tracked object at each full collection: in a gateway that
is the modules, the schema, the settings and the services made at start-up, a few hundred
thousand objects that live as long as the process, scanned again and again while requests
wait. ``gc.freeze`` moves them out of the scans (after a collection, so no garbage is
kept). Measured with bench/peer_gateways.py (cache warm, 20 s windows, the same run, same
machine): p99 11.2 ms instead of 49.2 ms at 32 connections, 5.0 ms instead of 14.2 at 8.

What the process gathers after its start lives long too: at 10,000 registered products the
registry's snapshot and the health of each are a few hundred thousand objects more, and
full collections of them took 35 to 85 ms each while requests waited (bench/registry_scale.py).
:class:`HeapSettler` watches the full collections; when one is slow it settles the heap
again, on the event loop, at most once per ``min_interval``: everything frozen before is
unfrozen first, so the collection that precedes the new freeze also reclaims what died
among it (nothing stays out of the collector for good).

Only ``meshgate serve`` does it (schema.asgi.create_served_app): a process that opens
services many times (the tests) would keep each time's objects out of the collector.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

SLOW_FULL_COLLECTION = 0.02
"""Seconds a full collection may take before the heap is settled again."""
MIN_INTERVAL = 10.0
"""Seconds at least between two settlings (each is one full collection itself)."""


def settle_heap() -> int:
    """Collect, then freeze what is left; the number of objects frozen."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.debug("%d objects of the start-up left out of the collector's scans", frozen)
    return frozen


class HeapSettler:
    """Settles the heap again (unfreeze, collect, freeze) after a slow full collection."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        slow: float = SLOW_FULL_COLLECTION,
        min_interval: float = MIN_INTERVAL,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._loop = loop
        self._slow = slow
        self._min_interval = min_interval
        self._clock = clock
        self._began = 0.0
        self._pending = False
        self._last = clock()  # the heap was just settled at start
        self.settled = 0  # settlings done

    def start(self) -> None:
        gc.callbacks.append(self._watch)

    def close(self) -> None:
        if self._watch in gc.callbacks:
            gc.callbacks.remove(self._watch)

    def _watch(self, phase: str, info: dict[str, Any]) -> None:
        """``gc.callbacks`` hook: any thread may collect, so the settling is handed to the
        loop (never done inside a collection)."""
        if phase == "start":
            self._began = self._clock()
            return
        now = self._clock()
        if (
            info.get("generation") != 2
            or now - self._began < self._slow
            or self._pending
            or now - self._last < self._min_interval
        ):
            return
        self._pending = True
        try:
            self._loop.call_soon_threadsafe(self._settle)
        except RuntimeError:  # the loop is closed: the process is ending
            self._pending = False

    def _settle(self) -> None:
        self._pending = False
        self._last = self._clock()
        gc.unfreeze()
        frozen = settle_heap()
        self.settled += 1
        log.info("a full collection was slow: the heap settled again (%d objects frozen)", frozen)
