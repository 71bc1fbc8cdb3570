"""The threads that read DuckDB streams, owned by the federation and closed with it.

A stream holds a worker for as long as its client reads, so streams get threads of their
own rather than the loop's default executor (``asyncio.to_thread`` would starve). The
pool is made, its threads running, with the federation (a thread started on the event
loop would stall it: gateway/federation/started_pool.py), and shut down by
:meth:`StreamWorkers.close`, which first tells every stream still running to stop (a
worker waiting for a slow reader gives up within a tenth of a second), then waits for the
workers in a thread, off the event loop.

>>> import asyncio
>>> workers = StreamWorkers(2)
>>> asyncio.run(workers.close())
>>> workers.executor()
Traceback (most recent call last):
...
gateway.errors.EngineUnavailable: the gateway is shutting down
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor

from gateway.errors import EngineUnavailable
from gateway.federation.started_pool import started_pool

STREAM_WORKERS = 4  # concurrent DuckDB streams; more wait for a worker (Trino: its pool)


class StreamWorkers:
    """A pool of ``size`` running threads, and the stop of each stream using it."""

    def __init__(self, size: int = STREAM_WORKERS) -> None:
        self._pool = started_pool(size, "duckdb-stream")
        self._stops: dict[int, Callable[[], None]] = {}
        self._closed = False

    def executor(self) -> Executor:
        """The pool; refused once closed."""
        if self._closed:
            raise EngineUnavailable("the gateway is shutting down", engine="duckdb")
        return self._pool

    def track(self, stop: Callable[[], None]) -> Callable[[], None]:
        """Remember ``stop`` until the returned function is called (its stream ended)."""
        key = id(stop)
        self._stops[key] = stop

        def forget() -> None:
            self._stops.pop(key, None)

        return forget

    async def close(self) -> None:
        """Stop every stream still running, then wait for the workers off the loop."""
        self._closed = True
        for stop in list(self._stops.values()):
            stop()
        self._stops.clear()
        await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)
