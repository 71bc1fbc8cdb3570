"""How long the event loop stalled: the longest time a task sleeping 5 ms at a time woke
up late, of which only what the loop's own thread did counts.

A late wake-up has four causes:

- The loop computed (a long callback, a parse on the loop): the thread's CPU time over
  the window counts.
- The loop blocked in a call (a join, a pool shutdown, ``Thread.start``, a lock, a
  synchronous read): the thread sleeps in the kernel, state ``S``, and a control process
  that reads its state every 5 ms counts that time. These are the stalls
  :meth:`StallMeter.worst` reports.
- The loop waited for the GIL while another thread of the process held it: also state
  ``S``, in a ``futex`` wait on the interpreter's own lock (an address inside libpython
  or the python executable, told apart by the control). Not a call the loop made, but it
  is late all the same, so :meth:`StallMeter.waited` counts it with the first two, less
  the CPU that *foreign* threads used meanwhile: threads that ran before what is under
  test was opened (product kits served in this process for the test, a session's whole
  demo mesh), which are other processes in production.
- The machine ran something else: the thread is runnable (``R``) but gets no CPU, which
  is another job's doing and does not count. Measured in the engine-swap test on
  2 cores under Trino and DuckDB load: windows of 90 ms in which the loop's thread was
  runnable throughout and used 2 ms of CPU.

The control is a process, not a thread: a thread would wait for the GIL as well, and see
nothing while another thread holds it. Where the thread's state cannot be read (not
Linux), every late moment counts as blocked in a call.
"""

from __future__ import annotations

import asyncio
import bisect
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

# Reads the loop thread's state, whether it waits on the interpreter's own lock (a futex
# in a mapping of libpython or the executable), and the time the foreign threads have
# spent on a CPU or runnable waiting for one (their schedstat: a thread holding the GIL
# may be either). time.monotonic is CLOCK_MONOTONIC, the same clock in both processes.
_READER = """
import os, sys, time
task, every, futex, idle, exe, foreign = sys.argv[1:7]
every, futex, idle = float(every), int(futex), {int(n) for n in idle.split(",")}
others = [f"{task.rsplit('/', 1)[0]}/{n}/schedstat" for n in foreign.split(",") if n]
runtime = []
with open(task.rsplit("/task/", 1)[0] + "/maps") as maps:
    for line in maps:
        fields = line.split()
        if len(fields) >= 6 and ("libpython" in fields[5] or fields[5] == exe):
            low, high = (int(x, 16) for x in fields[0].split("-"))
            runtime.append((low, high))
def cpu(path):  # on a CPU, and runnable waiting for one
    try:
        with open(path) as stat:
            ran, waited = stat.read().split()[:2]
        return int(ran) + int(waited)
    except (OSError, ValueError, IndexError):  # the thread ended
        return 0
try:
    os.nice(-10)  # read on time on a busy machine, where allowed
except OSError:
    pass
def call():
    try:
        with open(f"{task}/syscall") as line:
            fields = line.read().split()
        return int(fields[0]), int(fields[1], 16)
    except (OSError, ValueError, IndexError):
        return -1, 0
while True:
    time.sleep(every)
    try:
        with open(f"{task}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        break  # the thread, or its process, is gone: nothing more to read
    except (OSError, IndexError):
        state = "S"  # unknown: counted
    gil, where = 0, "-"
    if state == "S":
        number, address = call()
        if number in idle:
            state = "I"  # the loop waits for events: idle, not blocked
        gil = int(number == futex and any(lo <= address < hi for lo, hi in runtime))
        where = f"{number}:{address:x}"
    print(f"{time.monotonic():.6f} {state} {gil} {sum(cpu(p) for p in others)} {where}", flush=True)
"""
# The futex call, and the calls of a loop waiting for events (epoll_wait, epoll_pwait,
# epoll_pwait2), by machine; elsewhere (-1) nothing is told apart: every wait counts.
_FUTEX, _IDLE = {
    "x86_64": (202, (232, 281, 441)),
    "aarch64": (98, (22, 441)),
}.get(platform.machine(), (-1, (-1,)))
SLEEP = 0.005
LATE = 0.025  # a wake-up this late is a window looked at
# Longest gap between two readings counted whole, unless both say the same: blocked in the
# same call on the same object (its number and first argument: a futex's address, say),
# or waiting for the GIL. Then the thread was, all along, as far as one can tell. Two
# different calls say nothing of the gap between them: on a saturated machine the reader
# itself runs late (readings 120 ms apart), and the loop may have run, been runnable or
# made other short calls meanwhile.
TICK_GAP = 0.02
BLOCKED = frozenset("SD")  # sleeping in the kernel: waiting on a lock, a join, the GIL
# (the reader says "I" for a loop waiting for events, past its timer only by the kernel)


@dataclass(frozen=True)
class Window:
    begin: float
    end: float
    cpu: float  # CPU time of the loop's thread within it


@dataclass(frozen=True)
class Reading:
    when: float
    state: str  # the loop thread's
    gil: bool  # waiting for the GIL
    foreign: float  # seconds the foreign threads have run or been runnable so far
    call: str = "-"  # when sleeping in the kernel: "number:first argument" in hex


@dataclass(frozen=True)
class Part:
    """One late window: its span, the loop thread's CPU in it, its time blocked in a
    call, its time waiting for the GIL, and the time foreign threads ran or were runnable
    in it."""

    span: float
    cpu: float
    blocked: float
    gil: float
    foreign: float
    calls: tuple[str, ...] = ()  # the calls it was blocked in ("number:argument")

    @property
    def stalled(self) -> float:
        """The loop's own doing: its CPU and its calls that blocked."""
        return min(self.span, self.cpu + self.blocked)

    @property
    def waited(self) -> float:
        """With the GIL waits, less the time foreign threads ran (or were ready to)."""
        return min(self.span, self.cpu + self.blocked + max(self.gil - self.foreign, 0.0))


def threads_now() -> frozenset[int]:
    """The native ids of the process's threads but the caller's: pass them as
    ``foreign`` before opening what is under test."""
    me = threading.get_native_id()
    return frozenset(
        t.native_id for t in threading.enumerate() if t.native_id and t.native_id != me
    )


class StallMeter:
    """Run :meth:`run` as a task on the loop under test; :meth:`worst` after it ends."""

    def __init__(self, foreign: frozenset[int] = frozenset()) -> None:
        self.foreign = foreign  # threads not under test (:func:`threads_now`)
        self.windows: list[Window] = []
        self.readings: list[Reading] = []

    async def run(self, stop: asyncio.Event) -> None:
        task = f"/proc/{os.getpid()}/task/{threading.get_native_id()}"
        exe = os.path.realpath(sys.executable)
        foreign = ",".join(str(n) for n in sorted(self.foreign))
        idle = ",".join(str(n) for n in _IDLE)
        command = [sys.executable, "-c", _READER, task, str(SLEEP), str(_FUTEX), idle, exe, foreign]
        with tempfile.TemporaryFile("w+") as out:
            reader = subprocess.Popen(command, stdout=out)
            try:
                await self._meter(stop)
            finally:
                reader.terminate()
                reader.wait()
            out.seek(0)
            for line in out:
                when, state, gil, used, call = line.split()
                self.readings.append(Reading(float(when), state, gil == "1", int(used) / 1e9, call))

    async def _meter(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            started, cpu = time.monotonic(), time.thread_time()
            await asyncio.sleep(SLEEP)
            woke = time.monotonic()
            if woke - started > LATE:
                self.windows.append(Window(started + SLEEP, woke, time.thread_time() - cpu))

    def worst(self) -> tuple[float, float]:
        """(longest stall of the loop's own doing, longest lateness seen at all)."""
        parts = self.parts()
        return (
            max((p.stalled for p in parts), default=0.0),
            max((p.span for p in parts), default=0.0),
        )

    def waited(self) -> float:
        """The longest stall counting the GIL waits (:attr:`Part.waited`)."""
        return max((p.waited for p in self.parts()), default=0.0)

    def report(self, most: int = 5) -> str:
        """The ``most`` windows of the longest waits, each in ms: what a failing bound
        prints."""
        parts = sorted(self.parts(), key=lambda p: p.waited, reverse=True)
        return "; ".join(
            f"late {p.span * 1000:.0f}: cpu {p.cpu * 1000:.0f}, blocked {p.blocked * 1000:.0f},"
            f" gil {p.gil * 1000:.0f} (foreign threads' run {p.foreign * 1000:.0f})"
            + (f" in calls {', '.join(p.calls)}" if p.calls else "")
            for p in parts[:most]
        )

    def parts(self) -> list[Part]:
        """Each late window, its time told apart (:class:`Part`)."""
        readings = sorted(self.readings, key=lambda r: r.when)
        times = [r.when for r in readings]
        found = []
        for window in self.windows:
            first = bisect.bisect_right(times, window.begin)
            last = bisect.bisect_left(times, window.end)
            blocked = gil = 0.0
            calls: dict[str, None] = {}
            previous = window.begin
            seen = readings[first - 1] if first > 0 else None
            for r in readings[first:last]:
                if r.state in BLOCKED:
                    same = (
                        seen is not None
                        and seen.state in BLOCKED
                        and (seen.gil, seen.call) == (r.gil, r.call)
                    )
                    gap = r.when - previous if same else min(r.when - previous, TICK_GAP)
                    gil, blocked = (gil + gap, blocked) if r.gil else (gil, blocked + gap)
                    if not r.gil:
                        calls[r.call] = None
                previous, seen = r.when, r
            # From the last reading before the window to the first after it: the foreign
            # threads' CPU over at least the window (a reading every 5 ms).
            before = readings[max(first - 1, 0)].foreign if readings else 0.0
            after = readings[min(last, len(readings) - 1)].foreign if readings else 0.0
            span = window.end - window.begin
            foreign = max(after - before, 0.0)
            found.append(Part(span, window.cpu, blocked, gil, foreign, tuple(calls)[:3]))
        return found
