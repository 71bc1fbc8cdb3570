"""One query on a DuckDB worker's cursor, as its interrupts see it.

A worker keeps its cursor from one query to the next (``DuckDBEngine._worker_cursor``),
so an interrupt (the query's deadline, or its caller who left) must reach the cursor
only while that query runs, never the worker's next query on the same cursor.
"""

from __future__ import annotations

import threading

import duckdb


class RunningQuery:
    """Interrupts reach ``cursor`` until :meth:`finish`; after it they do nothing."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._cursor = cursor
        self._lock = threading.Lock()
        self._finished = False

    def interrupt(self) -> None:
        with self._lock:
            if not self._finished:
                self._cursor.interrupt()

    def finish(self) -> None:
        with self._lock:
            self._finished = True
