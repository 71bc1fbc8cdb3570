"""What the federation hands back and what it records: answers, pages, query records,
and the protocols of the usage and audit recorders it writes to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway.federation.engines import Result
from gateway.federation.planner import Plan
from gateway.identity import Principal


@dataclass(frozen=True)
class Answer:
    plan: Plan
    result: Result
    engine: str


@dataclass(frozen=True)
class Page:
    """One page of a result: ``answer`` holds its rows; ``end_cursor`` continues after them.

    ``ordered`` is false when the query has no outermost ORDER BY: pages re-run the query,
    so without one the engine may hand rows in another order each time.
    """

    answer: Answer
    offset: int
    has_next: bool
    end_cursor: str | None
    ordered: bool


@dataclass(frozen=True)
class QueryRecord:
    """What one SQL query did, for usage figures and the audit trail."""

    caller: str | None
    sql: str
    engine: str
    outcome: str  # "ok" or the error code
    rows: int
    elapsed_ms: float
    plan: Plan | None  # None when the planner refused the statement
    at: datetime
    principal: Principal | None = None  # who asked (None: an internal caller)
    request_id: str | None = None
    action: str = "sql.query"  # sql.query, sql.stream or sql.explain (the audit's action)
    error_product_id: str | None = None  # the product a refusal named, if any
    error_message: str | None = None  # the refusal's public message (what the caller saw)


class UsageRecorder(Protocol):
    async def record(self, entry: QueryRecord) -> None: ...


class QueryAuditor(Protocol):
    """Where every query, answered or refused, is written for the audit log."""

    async def record_query(self, entry: QueryRecord) -> None: ...


class QueryEmitter(Protocol):
    """Where every query is handed for its lineage events (OpenLineage): synchronous and
    non-blocking, so emitting never makes a query wait."""

    def emit(self, entry: QueryRecord) -> None: ...
