"""A background round every so many seconds, owned by whoever starts it.

The retention purges and the certification rounds both run this way: sleep the interval,
run the round, log a round that fails and go on (the next one tries again), until closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from gateway.cancelled import stop_if_cancelled

log = logging.getLogger(__name__)


class Every:
    """Runs ``round()`` every ``seconds`` after :meth:`start`, until :meth:`close`; the
    first round after ``first`` seconds (default: ``seconds``)."""

    def __init__(
        self,
        seconds: float,
        round: Callable[[], Awaitable[object]],
        name: str,
        *,
        first: float | None = None,
    ) -> None:
        self.seconds = seconds
        self.first = seconds if first is None else first
        self._round = round
        self._name = name
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the rounds (once; a second call does nothing)."""
        if self._task is None:
            self._task = asyncio.create_task(self._forever(), name=self._name)

    async def close(self) -> None:
        """Stop the rounds (a round under way is cancelled)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _forever(self) -> None:
        wait = self.first
        while True:
            await asyncio.sleep(wait)
            wait = self.seconds
            try:
                await self._round()
            except Exception:  # the next round tries again
                log.exception("%s: a round failed", self._name)
            stop_if_cancelled()
