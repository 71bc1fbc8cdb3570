"""The audit log as the rest of the gateway uses it: write an event for each query and
each registry change, read a product's events, and forget events past the retention.

Writing never fails the action being audited: a write that fails is logged at error level
(an operator watching the error log sees that an event was lost) and the action goes on.
Retention (``MESHGATE_AUDIT_RETENTION_DAYS``) is applied when the log opens and then every
``MESHGATE_AUDIT_PURGE_INTERVAL_SECONDS``: one indexed ``DELETE`` of the events older
than that many days (:class:`~gateway.retention.Retention`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from gateway.audit.model import Actor, AuditEvent, AuditProduct, clip, event_of_query
from gateway.audit.store import AuditPage, AuditStore, open_audit_store
from gateway.federation.records import QueryRecord
from gateway.identity import Principal
from gateway.retention import Retention

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
        self._clock = clock
        self._retention = Retention(
            "audit log", store.purge, days=retention_days,
            interval_seconds=purge_interval_seconds, clock=clock,
        )  # fmt: skip

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        retention_days: int = 365,
        purge_interval_seconds: float = 3600.0,
        pool_size: int = 4,
    ) -> AuditLog:
        """The log in the database at ``url``: purged once now, then on a timer.
        ``pool_size``: most connections to a PostgreSQL database."""
        store = await open_audit_store(url, pool_size=pool_size)
        audit = cls(
            store, retention_days=retention_days, purge_interval_seconds=purge_interval_seconds
        )
        try:
            await audit._retention.start()
        except BaseException:
            await store.close()
            raise
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
        return await self._retention.purge(older_than)

    async def close(self) -> None:
        """Stop the purge timer and release the store."""
        try:
            await self._retention.close()
        finally:
            await self.store.close()

    async def _write(self, event: AuditEvent) -> None:
        try:
            await self.store.record(event)
        except Exception:
            log.exception(
                "audit event lost: %s %s by %s (%s)",
                event.action, event.outcome, event.actor.subject, ",".join(event.product_ids),
            )  # fmt: skip
