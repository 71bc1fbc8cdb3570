"""Usage and performance counters of one product gateway (kept in memory)."""

from __future__ import annotations

import threading
import time
from collections import Counter

from productkit.answers import Counters


class Metrics:
    """Requests per route, consume volume and time spent, since the process started."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._by_route: Counter[str] = Counter()
        self._errors = 0
        self._seconds = 0.0
        self.consume_requests = 0
        self.rows_served = 0

    def record_request(self, route: str, seconds: float, status: int) -> None:
        """Count one answered request of ``route`` (its path template)."""
        with self._lock:
            self._by_route[route] += 1
            self._seconds += seconds
            if status >= 500:
                self._errors += 1

    def record_consume(self, rows: int) -> None:
        """Count one consume request that served ``rows`` rows."""
        with self._lock:
            self.consume_requests += 1
            self.rows_served += rows

    def snapshot(self) -> Counters:
        """The counters as the ``/observe/metrics`` answer shows them (tables added there)."""
        with self._lock:
            total = sum(self._by_route.values())
            return {
                "uptimeSeconds": round(time.monotonic() - self.started, 3),
                "requests": {
                    "total": total,
                    "byRoute": dict(sorted(self._by_route.items())),
                    "serverErrors": self._errors,
                    "meanLatencyMs": round(self._seconds * 1000 / total, 3) if total else None,
                },
                "consume": {"requests": self.consume_requests, "rowsServed": self.rows_served},
            }
