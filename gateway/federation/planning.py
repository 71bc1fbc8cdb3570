"""Planning off the event loop, with a deadline.

sqlglot is pure Python: a statement within every size limit can still take a while to
plan (NATURAL joins resolve quadratically), and on the event loop that time would stall
every other request. So :func:`~gateway.federation.planner.plan` runs in a small bounded
thread pool and the caller waits at most ``timeout_s`` (time queued for a worker
included); past it the statement is refused with ``SQL_PLAN_TIMEOUT``.

A thread cannot be killed: a plan given up on still finishes in its worker. The planner's
own limits (joins, nodes, depth, output bytes) are what keep that worst case bounded;
the deadline keeps the caller's wait bounded and the pool keeps the CPU spent bounded.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gateway.errors import SqlPlanTimeout
from gateway.federation.catalog import Catalog
from gateway.federation.planner import Plan, PlannerLimits, plan

log = logging.getLogger(__name__)


class Planner:
    """Plans statements in ``workers`` threads, each answer within ``timeout_s``.

    >>> from gateway.federation.catalog import StaticCatalog
    >>> planner = Planner(PlannerLimits(), workers=1, timeout_s=5)
    >>> asyncio.run(planner.plan("SELECT 1 AS one", StaticCatalog([]), "trino", max_rows=1)).sql
    'SELECT\\n  1 AS "one"\\nLIMIT 2'
    >>> planner.close()
    """

    def __init__(self, limits: PlannerLimits, *, workers: int, timeout_s: float) -> None:
        self.limits = limits
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="planner")

    async def plan(
        self,
        sql: str,
        catalog: Catalog,
        engine: str,
        *,
        max_rows: int | None,
        **options: Any,
    ) -> Plan:
        """:func:`~gateway.federation.planner.plan` in a worker; ``options`` are passed
        on as keyword arguments (the planner's later rewrites)."""
        job = functools.partial(
            plan, sql, catalog, engine, max_rows=max_rows, limits=self.limits, **options
        )
        future = asyncio.get_running_loop().run_in_executor(self._pool, job)
        # Read the outcome of a plan given up on, so asyncio does not log it as lost.
        future.add_done_callback(_consume)
        try:
            return await asyncio.wait_for(asyncio.shield(future), self.timeout_s)
        except TimeoutError:
            future.cancel()  # frees its place if it is still waiting for a worker
            log.warning("SQL planning gave up after %gs (%d bytes)", self.timeout_s, len(sql))
            raise SqlPlanTimeout(
                f"planning the statement took longer than {self.timeout_s:g}s: "
                "write it with fewer joins, subqueries or columns",
                limit="sql_plan_timeout_seconds",
            ) from None
        except asyncio.CancelledError:
            future.cancel()
            raise

    def close(self) -> None:
        """Stop taking plans; a plan still running finishes in its thread."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def _consume(future: asyncio.Future[Plan]) -> None:
    if not future.cancelled():
        future.exception()
