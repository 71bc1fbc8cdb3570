"""Usage written behind the answer: a SQL answer does not wait for its usage row.

Every SQL query is recorded twice before it is answered: in the audit log, which the
answer waits for on purpose (an answer whose audit event could still be lost is what the
log exists to prevent), and in usage, which only feeds figures read later. So
:class:`UsageBehind` takes a record at once and writes it in a background task, in order,
and every read of usage first waits until what was recorded before it is written: a
caller who asks for usage right after a query sees that query. Closing writes what is
left. A write that fails is logged and the next one goes on, as a failed write was
before (it never failed the query). At most ``most_pending`` records wait (1,000): past that, a
record waits for the writes (memory stays bounded under a burst).
"""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections import deque
from datetime import datetime

from gateway.federation.records import QueryRecord
from gateway.usage.model import QueryLog, Reader, RecentQuery, TableUsage, UsageTotals
from gateway.usage.store import MAX_RECENT, UsageStore

log = logging.getLogger(__name__)
MOST_PENDING = 1_000
"""Records waiting at most: each holds its statement (up to ``sql_max_bytes``, 256 KB by
default) and plan, so this bounds them to a few hundred MB while the store is slow; in
steady use a write (0.1 to 1 ms) is far quicker than the query it records."""


class UsageBehind:
    """A :class:`~gateway.usage.store.UsageStore` over ``store`` whose ``record`` returns
    before the row is written (see module doc)."""

    def __init__(self, store: UsageStore, *, most_pending: int = MOST_PENDING) -> None:
        self.store = store
        self._most = max(1, most_pending)
        self._pending: deque[QueryRecord] = deque()
        self._writer: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Records taken and not written yet."""
        return len(self._pending)

    async def record(self, entry: QueryRecord) -> None:
        if len(self._pending) >= self._most:
            await self.flush()
        self._pending.append(entry)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(
                self._write(), name="usage-behind"
            )

    async def _write(self) -> None:
        # The loop's check and the task's end have no await between them: a record taken
        # meanwhile either is seen here or starts a writer of its own.
        while self._pending:
            entry = self._pending[0]
            try:
                await self.store.record(entry)
            except Exception:
                log.exception("recording SQL usage failed (a query by %s)", entry.caller)
            finally:
                self._pending.popleft()

    async def flush(self) -> None:
        """Wait until every record taken so far is written (a reader leaving does not
        stop the writes)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def totals(self, product_id: str, *, since: datetime | None = None) -> UsageTotals:
        await self.flush()
        return await self.store.totals(product_id, since=since)

    async def tables(
        self, product_id: str, *, since: datetime | None = None
    ) -> builtins.list[TableUsage]:
        await self.flush()
        return await self.store.tables(product_id, since=since)

    async def recent(
        self, product_id: str, *, since: datetime | None = None, first: int = 10
    ) -> builtins.list[RecentQuery]:
        await self.flush()
        return await self.store.recent(product_id, since=since, first=first)

    async def readers(self, product_id: str, *, limit: int = 1000) -> builtins.list[Reader]:
        await self.flush()
        return await self.store.readers(product_id, limit=limit)

    async def log(
        self, *, since: datetime | None = None, limit: int = MAX_RECENT
    ) -> builtins.list[QueryLog]:
        await self.flush()
        return await self.store.log(since=since, limit=limit)

    async def purge(self, older_than: datetime) -> int:
        await self.flush()
        return await self.store.purge(older_than)

    async def close(self) -> None:
        """Write what is left, then close the store."""
        try:
            await self.flush()
        finally:
            await self.store.close()
