"""The audit log as the rest of the gateway uses it: write an event for each query and
each registry change, read a product's events, and forget events past the retention.

Writing never fails the action being audited: a write that fails is logged at error level
(an operator watching the error log sees that an event was lost) and the action goes on.
Retention (``MESHGATE_AUDIT_RETENTION_DAYS``) is applied when the log opens and then every
``MESHGATE_AUDIT_PURGE_INTERVAL_SECONDS``: one indexed ``DELETE`` of the events older
than that many days.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from gateway.audit.model import Actor, AuditEvent, AuditProduct, clip, event_of_query
from gateway.audit.store import AuditPage, AuditStore, open_audit_store
from gateway.federation.records import QueryRecord
from gateway.identity import Principal

log = logging.getLogger(__name__)


class AuditLog:
    """Events in an :class:`AuditStore`, with retention. ``retention_days`` 0 keeps all."""

    def __init__(
        self,
        store: AuditStore,
        *,
        retention_days: int = 365,
        purge_interval_seconds: float = 3600.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.retention_days = retention_days
        self._interval = purge_interval_seconds
        self._clock = clock
        self._purger: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls, url: str, *, retention_days: int = 365, purge_interval_seconds: float = 3600.0
    ) -> AuditLog:
        """The log in the database at ``url``: purged once now, then on a timer."""
        audit = cls(
            await open_audit_store(url),
            retention_days=retention_days,
            purge_interval_seconds=purge_interval_seconds,
        )
        await audit.purge()
        if retention_days > 0 and purge_interval_seconds > 0:
            audit._purger = asyncio.create_task(audit._purge_forever(), name="audit-purge")
        return audit

    async def record(self, event: AuditEvent) -> int:
        """Append ``event``; raises ``AuditError`` if the store fails."""
        return await self.store.record(event)

    async def record_query(self, entry: QueryRecord) -> None:
        """The federation's hook: one event per SQL query, answered or refused."""
        await self._write(event_of_query(entry))

    async def record_change(
        self,
        actor: Principal | None,
        action: str,
        *,
        product_id: str | None,
        product_key: str | None = None,
        outcome: str,
        detail: str = "",
        request_id: str | None = None,
    ) -> None:
        """The registry's hook: one event per register, refresh or unregister, whatever
        its outcome (``ok`` or the error code). Never raises."""
        event = AuditEvent(
            at=self._clock(),
            request_id=request_id,
            action=action,
            outcome=outcome,
            actor=Actor.of(actor),
            products=(AuditProduct(product_id, product_key),) if product_id else (),
            detail=clip(detail),
        )
        await self._write(event)

    async def for_product(
        self,
        product_id: str,
        *,
        since: datetime | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> AuditPage:
        """A page of the product's events, newest first."""
        return await self.store.for_product(product_id, since=since, first=first, after=after)

    async def purge(self, older_than: datetime | None = None) -> int:
        """Delete events before ``older_than`` (default: the retention's start); how many.
        With no ``older_than`` and a retention of 0 days, nothing is deleted."""
        if older_than is None:
            if self.retention_days <= 0:
                return 0
            older_than = self._clock() - timedelta(days=self.retention_days)
        gone = await self.store.purge(older_than)
        if gone:
            log.info("audit log: %d events older than %s purged", gone, older_than.isoformat())
        return gone

    async def close(self) -> None:
        """Stop the purge timer and release the store."""
        if self._purger is not None:
            self._purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purger
        await self.store.close()

    async def _write(self, event: AuditEvent) -> None:
        try:
            await self.store.record(event)
        except Exception:
            log.exception(
                "audit event lost: %s %s by %s (%s)",
                event.action, event.outcome, event.actor.subject, ",".join(event.product_ids),
            )  # fmt: skip

    async def _purge_forever(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.purge()
            except Exception:  # the next round tries again
                log.exception("audit log: purging old events failed")
