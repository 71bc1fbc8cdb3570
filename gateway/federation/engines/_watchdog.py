"""One thread that fires callbacks at deadlines: per-query timeouts without a thread each.

>>> import threading
>>> fired = threading.Event()
>>> dog = Watchdog()
>>> _ = dog.arm(0.01, fired.set)
>>> fired.wait(2)
True
>>> dog.close()
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import threading
import time
from collections.abc import Callable


class Alarm:
    """One armed deadline; ``cancel()`` before it fires and it never will."""

    __slots__ = ("_callback", "_lock", "fired", "cancelled")

    def __init__(self, callback: Callable[[], object]) -> None:
        self._callback = callback
        self._lock = threading.Lock()
        self.fired = False
        self.cancelled = False

    def cancel(self) -> bool:
        """Disarm; returns whether the alarm had already fired."""
        with self._lock:
            self.cancelled = True
            return self.fired

    def fire(self) -> None:
        """Run the callback now unless cancelled (at most once)."""
        with self._lock:
            if self.cancelled or self.fired:
                return
            self.fired = True
            # Under the lock: a query that finishes cancels after this returns, so the
            # callback never races with the cursor being closed.
            with contextlib.suppress(Exception):  # a closed cursor: the query is over
                self._callback()


COMPACT_AT = 4096
"""Alarms held (most of them cancelled: a query cancels its alarm when it ends) past which
an arm drops the cancelled ones: the heap stays bounded however many queries run within
one timeout."""


class Watchdog:
    """A daemon thread holding a heap of alarms by monotonic deadline.

    The thread sleeps until the earliest deadline it knows; an alarm armed for later
    does not wake it (each query arms one, so waking the thread for every query cost a
    thread switch per query for nothing).
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Alarm]] = []
        self._counter = itertools.count()
        self._cond = threading.Condition()
        self._closed = False
        self._wakes_at = math.inf  # when the thread next looks at the heap by itself
        self._compact_at = COMPACT_AT
        self._thread = threading.Thread(target=self._run, name="duckdb-watchdog", daemon=True)
        self._thread.start()

    def arm(self, seconds: float, callback: Callable[[], object]) -> Alarm:
        """Call ``callback`` in ``seconds`` (from the watchdog's thread) unless cancelled."""
        alarm = Alarm(callback)
        deadline = time.monotonic() + seconds
        with self._cond:
            if len(self._heap) >= self._compact_at:
                self._heap = [entry for entry in self._heap if not entry[2].cancelled]
                heapq.heapify(self._heap)
                # Many alarms still live: look again only once the heap has doubled.
                self._compact_at = max(COMPACT_AT, 2 * len(self._heap))
            heapq.heappush(self._heap, (deadline, next(self._counter), alarm))
            if deadline < self._wakes_at:
                self._wakes_at = deadline
                self._cond.notify()
        return alarm

    def close(self) -> None:
        """Stop the thread; pending alarms never fire."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    while self._heap and self._heap[0][2].cancelled:
                        heapq.heappop(self._heap)
                    if self._heap and self._heap[0][0] <= time.monotonic():
                        break
                    self._wakes_at = self._heap[0][0] if self._heap else math.inf
                    wait = self._wakes_at - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._closed:
                    return
                _, _, alarm = heapq.heappop(self._heap)
            alarm.fire()
