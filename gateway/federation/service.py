"""The federation service: the mesh's catalog kept live, a plan, an engine, an answer.

The catalog is built from the output contracts the registered products serve (through
the same cached fetcher as the graph), so a table exists for SQL exactly when its
product is registered and its contract declares it; it is state that follows registry
events and contract expiry (:mod:`gateway.federation.live_catalog`), not a fetch per
query. The embedded DuckDB engine is rebuilt only when the catalog's tables change, and
swapped without blocking: queries in flight finish on the old engine, which closes off
the event loop after them (:mod:`gateway.federation.engine_slot`). Trino is used when
``MESHGATE_TRINO_URL`` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.errors import BadRequest, EngineUnavailable, GatewayError
from gateway.federation.engine_slot import EngineSlot
from gateway.federation.engines import DuckDBEngine, Engine
from gateway.federation.engines.trino_engine import TrinoEngine, TrinoSettings
from gateway.federation.live_catalog import CatalogView, LiveCatalog
from gateway.federation.paging import (
    decode_cursor,
    encode_cursor,
    query_key,
    window,
)
from gateway.federation.planner import Plan, PlannerLimits
from gateway.federation.planning import Planner
from gateway.federation.reach import Reach
from gateway.federation.records import (
    Answer,
    Page,
    QueryAuditor,
    QueryEmitter,
    QueryRecord,
    UsageRecorder,
)
from gateway.federation.stream_workers import StreamWorkers
from gateway.federation.streaming import ResultStream, start_stream
from gateway.identity import Principal
from gateway.registry import Registry
from gateway.settings import Settings
from gateway.upstream import UpstreamFetcher

log = logging.getLogger(__name__)

ENGINES = ("duckdb", "trino")


@dataclass(frozen=True)
class Use:
    """An engine taken for one query until ``release()``; ``hold()`` keeps it open for a
    later holder (a stream's worker) and returns that holder's release."""

    engine: Engine
    hold: Callable[[], Callable[[], None]]
    release: Callable[[], None]


def _nothing() -> None:
    """The release of an engine that is never swapped (Trino)."""


async def _logged(write: Awaitable[None], failed: str) -> None:
    """Await ``write``; a failure is logged with ``failed`` and goes no further (a usage
    store or an audit log that fails must not fail the query)."""
    try:
        await write
    except Exception:
        log.exception(failed)


class Federation:
    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        fetcher: UpstreamFetcher,
        recorder: UsageRecorder | None = None,
        *,
        auditor: QueryAuditor | None = None,
        lineage: QueryEmitter | None = None,
    ) -> None:
        self._settings = settings
        self.recorder = recorder
        self.auditor = auditor
        self.lineage = lineage
        self._registry = registry
        self._fetcher = fetcher
        self._trino: TrinoEngine | None = None
        self._reach = Reach.from_settings(settings)
        self.live = LiveCatalog(
            registry,
            fetcher,
            reach=self._reach,
            deadline_s=settings.sql_catalog_deadline_seconds,
            fresh_s=settings.cache_ttl_seconds,
        )
        registry.subscribe(self.live.changed)
        self.engines = EngineSlot()
        self._stream_workers = StreamWorkers()
        self._planner = Planner(
            PlannerLimits.from_settings(settings),
            workers=settings.sql_plan_workers,
            timeout_s=settings.sql_plan_timeout_seconds,
            cache_bytes=settings.sql_plan_cache_bytes,
        )
        if settings.trino_url:
            self._trino = TrinoEngine(TrinoSettings(url=settings.trino_url))

    async def catalog(self) -> CatalogView:
        """The tables of every registered product's output contracts, as last read (see
        :mod:`gateway.federation.live_catalog`: no network wait when the state is fresh)."""
        return await self.live.current()

    async def _engine(self, name: str, catalog: CatalogView) -> Use:
        """The engine to run a plan of ``catalog`` on, until ``release()``: the DuckDB
        engine of that catalog generation stays open until then (and for any holder)."""
        if name == "trino":
            if self._trino is None:
                raise EngineUnavailable(
                    "engine TRINO is not configured: set MESHGATE_TRINO_URL", engine="trino"
                )
            return Use(self._trino, lambda: _nothing, _nothing)
        build = functools.partial(
            DuckDBEngine,
            catalog.tables(),
            root=self._reach.root,
            memory_limit=self._settings.duckdb_memory_limit,
            reach=self._reach,
        )
        lease = await self.engines.lease(catalog.generation, build)
        return Use(lease.engine, lease.hold, lease.release)

    @contextlib.asynccontextmanager
    async def _using(self, name: str, catalog: CatalogView) -> AsyncIterator[Use]:
        """:meth:`_engine` for the length of the block."""
        use = await self._engine(name, catalog)
        try:
            yield use
        finally:
            use.release()

    def _engine_name(self, engine: str | None) -> str:
        name = (engine or self._settings.sql_engine).lower()
        if name not in ENGINES:
            raise BadRequest(f"engine: expected one of {', '.join(ENGINES)}, got {name!r}")
        return name

    def _row_cap(self, max_rows: int | None) -> int:
        limit = self._settings.sql_max_rows
        if max_rows is None:
            return limit
        if not 1 <= max_rows <= limit:
            raise BadRequest(f"maxRows: expected 1 to {limit}, got {max_rows}", argument="maxRows")
        return max_rows

    async def _plan(
        self,
        sql: str,
        catalog: CatalogView,
        engine: str,
        *,
        max_rows: int | None,
        principal: Principal | None,
    ) -> Plan:
        """The one place a statement is planned (checked and rewritten) for a caller:
        off the event loop, within ``sql_plan_timeout_seconds``, unless the same caller's
        plan of it over the same catalog state is kept (the catalog's generation and the
        products down: :mod:`gateway.federation.plan_cache`).

        ``principal`` is held to the contracts' access rules (``None``: an internal
        caller, no rules; request paths always pass their caller).
        """
        return await self._planner.plan(
            sql,
            catalog,
            engine,
            max_rows=max_rows,
            principal=principal,
            catalog_key=(catalog.generation, frozenset(catalog.down)),
        )

    async def plan(
        self,
        sql: str,
        engine: str | None,
        max_rows: int | None,
        *,
        principal: Principal | None = None,
    ) -> Plan:
        name = self._engine_name(engine)
        catalog = await self.catalog()
        return await self._plan(
            sql, catalog, name, max_rows=self._row_cap(max_rows), principal=principal
        )

    async def run(
        self,
        sql: str,
        *,
        engine: str | None = None,
        max_rows: int | None = None,
        caller: str | None = None,
        offset: int = 0,
        principal: Principal | None = None,
        request_id: str | None = None,
    ) -> Answer:
        """Check, rewrite and run ``sql``; nothing reaches an engine before the planner agrees.

        ``offset`` skips that many rows of the result first (pages after the first).
        Every query, answered or refused, is handed to the usage recorder.
        """
        started = time.perf_counter()
        name = engine or self._settings.sql_engine
        checked: Plan | None = None
        try:
            name = self._engine_name(engine)
            cap = self._row_cap(max_rows)
            catalog = await self.catalog()
            if offset:
                whole = await self._plan(sql, catalog, name, max_rows=None, principal=principal)
                checked = window(whole, cap + 1, offset)
            else:
                checked = await self._plan(sql, catalog, name, max_rows=cap, principal=principal)
            async with self._using(name, catalog) as use:
                result = await use.engine.execute(
                    checked,
                    timeout_s=self._settings.sql_timeout_seconds,
                    max_rows=cap,
                    max_bytes=self._settings.sql_max_result_bytes,
                )
        except GatewayError as exc:
            await self._record(
                caller, sql, name, exc.code, 0, started, checked, principal, request_id,
                error_product_id=exc.product_id, error_message=exc.message,
            )  # fmt: skip
            raise
        await self._record(
            caller, sql, name, "ok", len(result.rows), started, checked, principal, request_id
        )
        return Answer(plan=checked, result=result, engine=name)

    async def _record(
        self,
        caller: str | None,
        sql: str,
        engine: str,
        outcome: str,
        rows: int,
        started: float,
        checked: Plan | None,
        principal: Principal | None = None,
        request_id: str | None = None,
        *,
        action: str = "sql.query",
        error_product_id: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """Hand the query to the usage recorder (not an explain: it reads no data), to
        the auditor and to the lineage emitter (not an explain either). None may fail
        the query; a failure is logged at error level. Both are handed over at the same
        time: the audit event is written before the answer, the gateway's usage store
        takes its row at once and writes it behind (``gateway.usage.behind``)."""
        entry = QueryRecord(
            caller=caller,
            # A lone surrogate (valid JSON, "\ud800") cannot be stored as UTF-8 text: the
            # query is recorded with it escaped rather than lost from usage and audit.
            sql=sql.encode("utf-8", "backslashreplace").decode("utf-8"),
            engine=engine,
            outcome=outcome,
            rows=rows,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            plan=checked,
            at=datetime.now(UTC),
            principal=principal,
            request_id=request_id,
            action=action,
            error_product_id=error_product_id,
            error_message=error_message,
        )
        writes = []
        if self.recorder is not None and action != "sql.explain":
            writes.append(_logged(self.recorder.record(entry), "recording SQL usage failed"))
        if self.auditor is not None:
            # The audit log logs its own lost events; this is for a failure outside it.
            failed = "writing the audit event of a SQL query failed"
            writes.append(_logged(self.auditor.record_query(entry), failed))
        await asyncio.gather(*writes)
        if self.lineage is not None and action != "sql.explain":
            try:
                self.lineage.emit(entry)  # queued, never awaited: a slow sink waits alone
            except Exception:
                log.exception("queueing the lineage events of a SQL query failed")

    async def page(
        self,
        sql: str,
        *,
        engine: str | None = None,
        max_rows: int | None = None,
        after: str | None = None,
        caller: str | None = None,
        principal: Principal | None = None,
        request_id: str | None = None,
    ) -> Page:
        """One page of ``sql``'s result: the rows after cursor ``after`` (from the start
        when ``None``), at most ``max_rows``, and the cursor of the next page.

        Each page re-runs the query with an OFFSET, so pages are only deterministic when
        the query has an ORDER BY that orders every row (:attr:`Page.ordered`).
        """
        offset = 0
        key = ""
        name = engine or self._settings.sql_engine
        if after is not None:
            started = time.perf_counter()
            whole: Plan | None = None
            try:
                name = self._engine_name(engine)
                catalog = await self.catalog()
                whole = await self._plan(sql, catalog, name, max_rows=None, principal=principal)
                key = query_key(whole, name)
                offset = decode_cursor(after, key)
            except GatewayError as exc:  # refused before it ran: still used and audited
                await self._record(
                    caller, sql, name, exc.code, 0, started, whole, principal, request_id,
                    error_product_id=exc.product_id, error_message=exc.message,
                )  # fmt: skip
                raise
        answer = await self.run(
            sql,
            engine=name,
            max_rows=max_rows,
            caller=caller,
            offset=offset,
            principal=principal,
            request_id=request_id,
        )
        key = key or query_key(answer.plan, name)
        end = offset + len(answer.result.rows)
        return Page(
            answer=answer,
            offset=offset,
            has_next=answer.result.truncated,
            end_cursor=encode_cursor(end, key) if answer.result.rows else after,
            ordered=answer.plan.ordered,
        )

    async def stream(
        self,
        sql: str,
        *,
        engine: str | None = None,
        caller: str | None = None,
        batch_rows: int = 10_000,
        principal: Principal | None = None,
        request_id: str | None = None,
    ) -> ResultStream:
        """Start ``sql`` and hand back its whole result as a stream of Arrow batches.

        Planned like :meth:`run` but capped at ``sql_stream_max_rows`` (past it the stream
        fails with ``SQL_STREAM_TOO_LARGE``). Errors up to the first batch are raised here;
        later ones end the iteration. Closing the stream cancels the engine's query; the
        usage recorder gets the query when the stream ends, however it ends.
        """
        started = time.perf_counter()
        name = engine or self._settings.sql_engine
        checked: Plan | None = None
        limit = self._settings.sql_stream_max_rows

        async def finished(
            outcome: str, rows: int, product_id: str | None = None, message: str | None = None
        ) -> None:
            await self._record(
                caller, sql, name, outcome, rows, started, checked, principal, request_id,
                action="sql.stream", error_product_id=product_id, error_message=message,
            )  # fmt: skip

        try:
            name = self._engine_name(engine)
            catalog = await self.catalog()
            checked = await self._plan(sql, catalog, name, max_rows=limit, principal=principal)
            async with self._using(name, catalog) as use:
                return await start_stream(
                    use.engine,
                    checked,
                    max_rows=limit,
                    timeout_s=self._settings.sql_timeout_seconds,
                    batch_rows=batch_rows,
                    max_row_bytes=self._settings.sql_max_result_bytes,
                    on_end=finished,
                    workers=self._stream_workers,
                    # Its worker keeps the engine open past this block, until it is done.
                    on_idle=use.hold(),
                )
        except GatewayError as exc:
            await finished(exc.code, 0, exc.product_id, exc.message)
            raise

    async def explain(
        self,
        sql: str,
        *,
        engine: str | None = None,
        principal: Principal | None = None,
        caller: str | None = None,
        request_id: str | None = None,
    ) -> str:
        """The engine's plan of ``sql``; audited (it shows what a query would read) but
        not counted as usage."""
        started = time.perf_counter()
        name = engine or self._settings.sql_engine
        checked: Plan | None = None
        try:
            name = self._engine_name(engine)
            catalog = await self.catalog()
            checked = await self._plan(
                sql, catalog, name, max_rows=self._settings.sql_max_rows, principal=principal
            )
            async with self._using(name, catalog) as use:
                text = await use.engine.explain(checked)
        except GatewayError as exc:
            await self._record(
                caller, sql, name, exc.code, 0, started, checked, principal, request_id,
                action="sql.explain", error_product_id=exc.product_id,
            )  # fmt: skip
            raise
        await self._record(
            caller, sql, name, "ok", 0, started, checked, principal, request_id,
            action="sql.explain",
        )  # fmt: skip
        return text

    async def close(self) -> None:
        """Stop refreshing, stop the streams still running, close every engine (off the
        event loop)."""
        self._planner.close()
        await self.live.close()
        await self._stream_workers.close()
        await self.engines.close()
        if self._trino is not None:
            await self._trino.close()
