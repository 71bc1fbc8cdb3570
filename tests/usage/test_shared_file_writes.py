"""The usage and audit stores beside the registry share its SQLite file, and every SQL
query writes to both at once: their transactions take turns on one lock in the process,
so they never meet in SQLite's own lock, whose busy handler sleeps a millisecond or more
before it looks again (the answer waited for that)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from gateway.audit.model import Actor, AuditEvent
from gateway.audit.store import open_audit_store
from gateway.usage.model import QueryRecord
from gateway.usage.store import open_usage


async def test_stores_of_one_file_never_meet_in_sqlite_s_lock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    usage, audit = await open_usage(url), await open_audit_store(url)
    try:
        # No busy handler at all: a writer that met another in SQLite would fail at once.
        for store in (usage, audit):
            await store._calls.run(store._calls.db.execute, "PRAGMA busy_timeout = 0")  # type: ignore[attr-defined]
        at = datetime.now(UTC)
        query = QueryRecord(caller="c", sql="SELECT 1", engine="duckdb", outcome="ok", rows=1,
                            elapsed_ms=1.0, plan=None, at=at)  # fmt: skip
        event = AuditEvent(at=at, request_id=None, action="sql.query", outcome="ok",
                           actor=Actor.of(None), products=(), detail="")  # fmt: skip
        writes = [w for _ in range(100) for w in (usage.record(query), audit.record(event))]
        await asyncio.gather(*writes)
        assert len(await usage.log()) > 0
    finally:
        await usage.close()
        await audit.close()
