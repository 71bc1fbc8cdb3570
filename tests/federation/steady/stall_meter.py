"""How long the event loop stalled: the longest time a task sleeping 5 ms at a time woke
up late, of which only what the loop's own thread did counts.

A late wake-up has three causes. The loop computed (a long callback, a parse on the loop):
the thread's CPU time over the window counts. The loop blocked (a join, a pool shutdown,
``Thread.start``, a lock, the GIL held by another thread of the process): the thread
sleeps in the kernel, state ``S``, and a control thread that reads the state every 5 ms
counts that time. Or the machine ran something else: the thread is runnable (``R``) but
gets no CPU, which is another job's doing and does not count. Measured here in the
engine-swap test on 2 cores under Trino and DuckDB load: windows of 90 ms in which the
loop's thread was runnable throughout and used 2 ms of CPU.

Where the thread's state cannot be read (not Linux), every late moment counts as blocked.
"""

from __future__ import annotations

import asyncio
import bisect
import threading
import time
from dataclasses import dataclass

SLEEP = 0.005
LATE = 0.025  # a wake-up this late is a window looked at
TICK_GAP = 0.02  # longest gap between two readings of the state that is still counted
BLOCKED = frozenset("SD")  # sleeping in the kernel: waiting on a lock, a join, the GIL


@dataclass(frozen=True)
class Window:
    begin: float
    end: float
    cpu: float  # CPU time of the loop's thread within it


class StallMeter:
    """Run :meth:`run` as a task on the loop under test; :meth:`worst` after it ends."""

    def __init__(self) -> None:
        self.windows: list[Window] = []
        self.readings: list[tuple[float, str]] = []  # (when, the loop thread's state)
        self._done = threading.Event()

    def _read_states(self, native_id: int) -> None:
        path = f"/proc/self/task/{native_id}/stat"
        while not self._done.is_set():
            time.sleep(SLEEP)
            try:
                with open(path) as stat:
                    state = stat.read().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                state = "S"  # unknown: counted
            self.readings.append((time.monotonic(), state))

    async def run(self, stop: asyncio.Event) -> None:
        reader = threading.Thread(
            target=self._read_states, args=(threading.get_native_id(),), daemon=True
        )
        reader.start()
        try:
            while not stop.is_set():
                started, cpu = time.monotonic(), time.thread_time()
                await asyncio.sleep(SLEEP)
                woke = time.monotonic()
                if woke - started > LATE:
                    self.windows.append(Window(started + SLEEP, woke, time.thread_time() - cpu))
        finally:
            self._done.set()
            reader.join()

    def worst(self) -> tuple[float, float]:
        """(longest stall of the loop's own doing, longest lateness seen at all)."""
        readings = sorted(self.readings)
        times = [when for when, _ in readings]
        stalled = late = 0.0
        for window in self.windows:
            first = bisect.bisect_right(times, window.begin)
            last = bisect.bisect_left(times, window.end)
            blocked = 0.0
            previous = window.begin
            for when, state in readings[first:last]:
                if state in BLOCKED:
                    blocked += min(when - previous, TICK_GAP)
                previous = when
            span = window.end - window.begin
            stalled = max(stalled, min(span, window.cpu + blocked))
            late = max(late, span)
        return stalled, late
