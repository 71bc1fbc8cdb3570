"""Planning off the event loop, with a deadline.

sqlglot is pure Python: a statement within every size limit can still take a while to
plan (NATURAL joins resolve quadratically), and on the event loop that time would stall
every other request. So :func:`~gateway.federation.planner.plan` runs in a small bounded
thread pool and the caller waits at most ``timeout_s`` (time queued for a worker
included); past it the statement is refused with ``SQL_PLAN_TIMEOUT``.

A thread cannot be killed: a plan given up on still finishes in its worker. The planner's
own limits (joins, nodes, depth, output bytes) are what keep that worst case bounded;
the deadline keeps the caller's wait bounded and the pool keeps the CPU spent bounded.

A plan made for a caller over a catalog state the caller names (``catalog_key``) is kept
(:mod:`gateway.federation.plan_cache`): the same statement again is answered from there,
without a worker, until the catalog state or the caller differ.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Hashable

from gateway.errors import SqlPlanTimeout
from gateway.federation.catalog import Catalog
from gateway.federation.plan_cache import PlanCache
from gateway.federation.planner import Plan, PlannerLimits, plan
from gateway.federation.started_pool import started_pool
from gateway.identity import Principal

log = logging.getLogger(__name__)


class Planner:
    """Plans statements in ``workers`` threads, each answer within ``timeout_s``; keeps
    up to ``cache_bytes`` of plans (0: none).

    >>> from gateway.federation.catalog import StaticCatalog
    >>> planner = Planner(PlannerLimits(), workers=1, timeout_s=5)
    >>> asyncio.run(planner.plan("SELECT 1 AS one", StaticCatalog([]), "trino", max_rows=1)).sql
    'SELECT\\n  1 AS "one"\\nLIMIT 2'
    >>> planner.close()
    """

    def __init__(
        self, limits: PlannerLimits, *, workers: int, timeout_s: float, cache_bytes: int = 0
    ) -> None:
        self.limits = limits
        self.timeout_s = timeout_s
        self.cache = PlanCache(max_bytes=cache_bytes)
        self._pool = started_pool(workers, "planner")

    async def plan(
        self,
        sql: str,
        catalog: Catalog,
        engine: str,
        *,
        max_rows: int | None,
        principal: Principal | None = None,
        catalog_key: Hashable | None = None,
    ) -> Plan:
        """:func:`~gateway.federation.planner.plan` for ``principal``, in a worker; or the
        plan kept for the same statement, caller and ``catalog_key`` (what identifies the
        state of ``catalog``; ``None``: none does, the plan is neither looked up nor kept).
        """
        key = None
        if catalog_key is not None and self.cache.max_bytes:
            key = PlanCache.key(sql, engine, max_rows, principal, catalog_key)
            kept = self.cache.get(key)
            if kept is not None:
                return kept
        made = await self._make(sql, catalog, engine, max_rows=max_rows, principal=principal)
        if key is not None:
            self.cache.put(key, made)
        return made

    async def _make(
        self,
        sql: str,
        catalog: Catalog,
        engine: str,
        *,
        max_rows: int | None,
        principal: Principal | None,
    ) -> Plan:
        job = functools.partial(
            plan, sql, catalog, engine, max_rows=max_rows, limits=self.limits, principal=principal
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
