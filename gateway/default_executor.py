"""The event loop's default executor (``asyncio.to_thread``), its threads started before
the first request.

The default executor asyncio makes for itself is a ``ThreadPoolExecutor`` that starts a
thread inside ``submit`` whenever it finds none idle, up to its size. The submit comes
from the event loop, and ``Thread.start`` waits until the new thread has been scheduled:
on a busy machine the loop stopped for that long while every request waited (measured in
tests/federation/steady/test_swap.py, under six busy processes: the loop blocked in
``_adjust_thread_count`` -> ``Thread.start`` during an engine build's ``to_thread``). The
gateway's own pools are :class:`gateway.federation.started_pool.StartedPool`; this is the
same for the loop's default executor, which must stay a ``ThreadPoolExecutor``
(``loop.set_default_executor`` refuses anything else): all its threads are started when
the services open, so that its ``submit`` never starts one.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

PREFIX = "meshgate-default"

_installed: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ThreadPoolExecutor] = (
    weakref.WeakKeyDictionary()
)


def default_size() -> int:
    """asyncio's own size for it: ``min(32, cores + 4)``."""
    return min(32, (os.cpu_count() or 1) + 4)


def started_executor(workers: int) -> ThreadPoolExecutor:
    """A ``ThreadPoolExecutor`` of ``workers`` threads, every one of them already running
    (each of ``workers`` jobs waits at a barrier until all have a thread of their own)."""
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=PREFIX)
    everyone = threading.Barrier(workers + 1)
    started = [executor.submit(everyone.wait) for _ in range(workers)]
    everyone.wait()
    for job in started:
        job.result()
    return executor


def install(loop: asyncio.AbstractEventLoop, workers: int | None = None) -> ThreadPoolExecutor:
    """Make ``loop``'s default executor one whose threads all run; once per loop (the
    loop's ``close`` shuts it down, as it would asyncio's own)."""
    executor = _installed.get(loop)
    if executor is None:
        executor = started_executor(workers or default_size())
        loop.set_default_executor(executor)
        _installed[loop] = executor
    return executor
