"""Retention of the gateway's own records (audit events, usage queries): what is older
than so many days is deleted when the store opens and then on a timer.

One indexed ``DELETE`` per round; a round that fails is logged and the next one tries
again, so a database that is down for a while never stops the gateway. ``days`` 0 keeps
everything (the timer does not even start).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from gateway.every import Every

log = logging.getLogger(__name__)

Purge = Callable[[datetime], Awaitable[int]]


class Retention:
    """Deletes, through ``purge(older_than)``, the ``what`` older than ``days`` days."""

    def __init__(
        self,
        what: str,
        purge: Purge,
        *,
        days: int,
        interval_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.what = what
        self.days = days
        self._purge = purge
        self._interval = interval_seconds
        self._clock = clock
        self._timer = Every(interval_seconds, self.purge, f"{what}-purge")

    async def start(self) -> None:
        """Purge once now, then every ``interval_seconds`` (neither when ``days`` is 0)."""
        await self.purge()
        if self.days > 0 and self._interval > 0:
            self._timer.start()

    async def purge(self, older_than: datetime | None = None) -> int:
        """Delete what is before ``older_than`` (default: the retention's start); how many.
        With no ``older_than`` and a retention of 0 days, nothing is deleted."""
        if older_than is None:
            if self.days <= 0:
                return 0
            older_than = self._clock() - timedelta(days=self.days)
        gone = await self._purge(older_than)
        if gone:
            log.info("%s: %d older than %s purged", self.what, gone, older_than.isoformat())
        return gone

    async def close(self) -> None:
        """Stop the timer (a round under way is cancelled; the next start redoes it)."""
        await self._timer.close()
