"""Thread pools whose threads all run before the pool is handed out.

A ``ThreadPoolExecutor`` starts a thread on the first submits that find none idle, inside
``submit``, and ``Thread.start`` waits until the new thread is scheduled and holds the
GIL. On a busy machine that is tens of milliseconds, and when the submit comes from the
event loop, every request waits that long (measured in
tests/federation/steady/test_swap.py: the loop stalled 65 ms in ``Thread.start``). So each
pool the gateway keeps is started where it is made: at start-up, or off the loop where an
engine is built.

>>> pool = started_pool(2, "doc")
>>> sorted(t.name for t in pool._threads)
['doc_0', 'doc_1']
>>> pool.shutdown()
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

START_SECONDS = 10.0  # past this the pool is handed out anyway: its threads start lazily


def started_pool(workers: int, prefix: str) -> ThreadPoolExecutor:
    """A pool of ``workers`` threads named ``prefix_N``, all of them already running."""
    workers = max(1, workers)
    pool = ThreadPoolExecutor(workers, thread_name_prefix=prefix)
    # Every job waits for all the others: no thread is idle when the next job is
    # submitted, so each submit starts one more thread.
    gate = threading.Barrier(workers + 1, timeout=START_SECONDS)
    for _ in range(workers):
        pool.submit(_meet, gate)
    _meet(gate)
    return pool


def _meet(gate: threading.Barrier) -> None:
    with contextlib.suppress(threading.BrokenBarrierError):
        gate.wait()  # broken by a slow start: the pool works all the same
