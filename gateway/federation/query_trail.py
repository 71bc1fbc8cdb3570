"""What one SQL query leaves behind: its record, handed to usage, audit and lineage.

A :class:`QueryTrail` is opened when a query (a run, a page, a stream or an explain)
starts, learns its plan once the planner agrees, and is ended once, answered or refused:
the record goes to the usage recorder (not for an explain: it reads no data), to the
auditor and to the lineage emitter (not for an explain either). None of them may fail
the query; a failure is logged at error level.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gateway.errors import GatewayError
from gateway.federation.planner import Plan
from gateway.federation.records import QueryAuditor, QueryEmitter, QueryRecord, UsageRecorder
from gateway.identity import Principal

log = logging.getLogger(__name__)

EXPLAIN = "sql.explain"


@dataclass(frozen=True)
class QuerySinks:
    """Where the records go; any of them may be absent."""

    recorder: UsageRecorder | None = None
    auditor: QueryAuditor | None = None
    lineage: QueryEmitter | None = None


async def _logged(write: Awaitable[None], failed: str) -> None:
    """Await ``write``; a failure is logged with ``failed`` and goes no further (a usage
    store or an audit log that fails must not fail the query)."""
    try:
        await write
    except Exception:
        log.exception(failed)


@dataclass
class QueryTrail:
    """One query from its start: ``engine`` and ``plan`` are filled in as they are known
    (a refusal before planning leaves ``plan`` None)."""

    sinks: QuerySinks
    sql: str
    engine: str
    caller: str | None = None
    principal: Principal | None = None
    request_id: str | None = None
    action: str = "sql.query"
    plan: Plan | None = None
    started: float = field(default_factory=time.perf_counter)

    async def answered(self, rows: int) -> None:
        await self.ended("ok", rows)

    async def refused(self, exc: GatewayError) -> None:
        await self.ended(exc.code, 0, exc.product_id, exc.message)

    async def ended(
        self,
        outcome: str,
        rows: int,
        product_id: str | None = None,
        message: str | None = None,
    ) -> None:
        """Hand the record over. The audit event is written before the answer; the
        gateway's usage store takes its row at once and writes it behind
        (``gateway.usage.behind``); lineage is queued, never awaited."""
        entry = QueryRecord(
            caller=self.caller,
            # A lone surrogate (valid JSON, "\ud800") cannot be stored as UTF-8 text: the
            # query is recorded with it escaped rather than lost from usage and audit.
            sql=self.sql.encode("utf-8", "backslashreplace").decode("utf-8"),
            engine=self.engine,
            outcome=outcome,
            rows=rows,
            elapsed_ms=(time.perf_counter() - self.started) * 1000,
            plan=self.plan,
            at=datetime.now(UTC),
            principal=self.principal,
            request_id=self.request_id,
            action=self.action,
            error_product_id=product_id,
            error_message=message,
        )
        sinks = self.sinks
        writes = []
        if sinks.recorder is not None and self.action != EXPLAIN:
            writes.append(_logged(sinks.recorder.record(entry), "recording SQL usage failed"))
        if sinks.auditor is not None:
            # The audit log logs its own lost events; this is for a failure outside it.
            failed = "writing the audit event of a SQL query failed"
            writes.append(_logged(sinks.auditor.record_query(entry), failed))
        await asyncio.gather(*writes)
        if sinks.lineage is not None and self.action != EXPLAIN:
            try:
                sinks.lineage.emit(entry)  # queued, never awaited: a slow sink waits alone
            except Exception:
                log.exception("queueing the lineage events of a SQL query failed")
