"""One query on a DuckDB worker's cursor, as its interrupts see it.

A worker keeps its cursor from one query to the next (``DuckDBEngine._worker_cursor``),
so an interrupt (the query's deadline, or its caller who left) must reach the cursor
only while that query runs, never the worker's next query on the same cursor.

And it must reach the query: DuckDB forgets an interrupt that comes before its query
starts. The worker looks at the caller's flag just before it runs the query, but an
interrupt between that look and the moment DuckDB starts the query (a worker thread
preempted there, on a loaded machine) was lost, and the query ran its whole course
(minutes, with its worker taken). So an interrupt, once asked for, is sent again every
:data:`AGAIN_SECONDS` until the query ends.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import duckdb

AGAIN_SECONDS = 0.05
"""How often an interrupt is sent again until the query it was meant for has ended."""

# ``Watchdog.arm``: call the function (from another thread) in so many seconds.
Schedule = Callable[[float, Callable[[], object]], object]


class RunningQuery:
    """Interrupts reach ``cursor`` until :meth:`finish`; after it they do nothing. With
    ``again``, an interrupt is repeated through it until :meth:`finish`."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection, again: Schedule | None = None) -> None:
        self._cursor = cursor
        self._again = again
        self._lock = threading.Lock()
        self._finished = False

    def interrupt(self) -> None:
        with self._lock:
            if self._finished:
                return
            self._cursor.interrupt()
        if self._again is not None:
            self._again(AGAIN_SECONDS, self.interrupt)

    def finish(self) -> None:
        with self._lock:
            self._finished = True
