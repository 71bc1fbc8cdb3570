"""Thread pools whose threads all run before the pool is handed out, and whose ``submit``
only queues.

A ``ThreadPoolExecutor`` starts a thread on the first submits that find none idle, inside
``submit``, and ``Thread.start`` waits until the new thread is scheduled and holds the
GIL. On a busy machine that is tens of milliseconds, and when the submit comes from the
event loop, every request waits that long (measured in
tests/federation/steady/test_swap.py: the loop stalled 65 ms in ``Thread.start``). Worse,
it starts that thread holding a lock every ``ThreadPoolExecutor`` of the process takes in
``submit``: while an engine being built off the loop started its pool, the loop's own
``asyncio.to_thread`` waited for it (128 ms, in the same test). So each pool the gateway
keeps is a :class:`StartedPool`: its threads started where it is made (at start-up, or
off the loop where an engine is built), without that lock, and its ``submit`` never
starts one.

>>> pool = started_pool(2, "doc")
>>> sorted(t.name for t in pool.threads)
['doc_0', 'doc_1']
>>> pool.submit(sum, [1, 2]).result()
3
>>> pool.shutdown()
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

T = TypeVar("T")
_Item = tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class StartedPool(Executor):
    """``workers`` threads named ``prefix_N``, running from the start, taking jobs from
    one queue in order. Its threads are daemons: its owner shuts it down (an engine's
    close), as nothing at interpreter exit waits for them."""

    def __init__(self, workers: int, prefix: str) -> None:
        self._jobs: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self.threads = [
            threading.Thread(target=self._work, name=f"{prefix}_{n}", daemon=True)
            for n in range(max(1, workers))
        ]
        for thread in self.threads:
            thread.start()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._jobs.put((future, fn, args, kwargs))
        return future

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                self._jobs.put(None)  # the next thread ends too
                return
            _run(*job)
            del job  # nothing kept alive between jobs

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                if cancel_futures:
                    self._cancel_queued()
                self._jobs.put(None)
        if wait:
            for thread in self.threads:
                if thread is not threading.current_thread():
                    thread.join()

    def _cancel_queued(self) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                job[0].cancel()


def _run(future: Future[Any], fn: Callable[..., Any], args: Any, kwargs: Any) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:  # handed to whoever waits on the future
        future.set_exception(exc)
    else:
        future.set_result(result)


def started_pool(workers: int, prefix: str) -> StartedPool:
    """A pool of ``workers`` threads named ``prefix_N``, all of them already running."""
    return StartedPool(workers, prefix)
