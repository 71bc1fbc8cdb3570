"""Retention: events older than MESHGATE_AUDIT_RETENTION_DAYS are purged when the log
opens and then on a timer; 0 keeps them all."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from gateway.audit import AuditLog, open_audit_store
from gateway.services import close_services, open_services
from gateway.settings import Settings
from tests.audit.conftest import event

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=40)
RECENT = NOW - timedelta(days=5)


async def _seed(url: str) -> None:
    store = await open_audit_store(url)
    try:
        await store.record(event(OLD, "p1"))
        await store.record(event(RECENT, "p1"))
    finally:
        await store.close()


async def _times(audit: AuditLog) -> list[datetime]:
    return [e.at for e in (await audit.for_product("p1")).events]


async def test_the_gateway_purges_old_events_when_it_starts(audit_url: str) -> None:
    await _seed(audit_url)
    settings = Settings(registry_url=audit_url, audit_retention_days=30)
    services = await open_services(settings)
    try:
        assert await _times(services.audit) == [RECENT]
    finally:
        await close_services(services)


async def test_a_retention_of_zero_keeps_everything(audit_url: str) -> None:
    await _seed(audit_url)
    # Opening purges once (awaited); every later purge, the timer's included, is purge().
    audit = await AuditLog.open(audit_url, retention_days=0, purge_interval_seconds=0.05)
    try:
        assert await _times(audit) == [RECENT, OLD]
        ancient = NOW - timedelta(days=3650)
        await audit.record(event(ancient, "p1"))
        assert await audit.purge() == 0
        assert await _times(audit) == [RECENT, OLD, ancient]
    finally:
        await audit.close()


async def test_old_events_are_purged_while_the_gateway_runs(audit_url: str) -> None:
    audit = await AuditLog.open(audit_url, retention_days=30, purge_interval_seconds=0.05)
    try:
        # Written after the start (a clock set back, an event replayed): the timer sees it.
        await audit.record(event(OLD, "p1"))
        await audit.record(event(RECENT, "p1"))
        deadline = time.monotonic() + 10
        while await _times(audit) != [RECENT]:
            assert time.monotonic() < deadline, await _times(audit)
            await asyncio.sleep(0.05)
    finally:
        await audit.close()
