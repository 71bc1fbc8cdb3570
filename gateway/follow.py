"""Following the registry's changes without slowing them down.

:meth:`gateway.registry.Registry.subscribe` calls its listeners inside ``register``,
``refresh`` and ``unregister``, so a listener must not block. A :class:`Follower` is such
a listener: it only schedules ``handle(product_id)`` as a task and returns. The work it
schedules is bounded:

- one task per product at a time: a change arriving while that product's task runs marks
  it to run once more after (so the last change is always seen, never lost);
- at most ``max_pending`` products waiting or running: past it, a change is dropped and
  counted (the owner's periodic round catches up with it);
- :meth:`close` cancels what is under way; after it, changes are ignored.

The health monitor and the certifier each follow the registry this way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from gateway.cancelled import stop_if_cancelled

log = logging.getLogger(__name__)

DEFAULT_MAX_PENDING = 1000
"""Products whose follow-up may wait or run at once (a burst of registrations past it
is left to the next periodic round)."""


class Follower:
    """A non-blocking registry listener running ``handle(product_id)`` in the background."""

    def __init__(
        self,
        handle: Callable[[str], Awaitable[object]],
        name: str,
        *,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        self._handle = handle
        self._name = name
        self._max_pending = max(1, max_pending)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._closed = False
        self.dropped = 0  # changes not followed because too many were pending

    def __call__(self, product_id: str) -> None:
        """The listener: schedule the follow-up of ``product_id`` and return at once."""
        if self._closed:
            return
        if product_id in self._tasks:
            self._again.add(product_id)  # run once more when the current run ends
            return
        if len(self._tasks) >= self._max_pending:
            self.dropped += 1
            log.warning("%s: too many changes pending; %s waits for the next round",
                        self._name, product_id)  # fmt: skip
            return
        task = asyncio.get_running_loop().create_task(
            self._run(product_id), name=f"{self._name}:{product_id}"
        )
        self._tasks[product_id] = task

    @property
    def pending(self) -> int:
        """Products whose follow-up waits or runs."""
        return len(self._tasks)

    async def _run(self, product_id: str) -> None:
        try:
            while True:
                try:
                    await self._handle(product_id)
                except Exception:  # one product's failure must not stop the following
                    log.exception("%s: following %s failed", self._name, product_id)
                stop_if_cancelled()
                if product_id not in self._again:
                    return
                self._again.discard(product_id)
        finally:
            self._tasks.pop(product_id, None)

    async def idle(self) -> None:
        """Return once nothing is pending (tests and an orderly stop use it)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def close(self) -> None:
        """Ignore further changes and cancel the follow-ups under way."""
        self._closed = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._again.clear()
