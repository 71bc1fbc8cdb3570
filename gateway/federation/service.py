"""The federation service: the mesh's catalog kept live, a plan, an engine, an answer.

The catalog is built from the output contracts the registered products serve (through
the same cached fetcher as the graph), so a table exists for SQL exactly when its
product is registered and its contract declares it; it is state that follows registry
events and contract expiry (:mod:`gateway.federation.live_catalog`), not a fetch per
query. The embedded DuckDB engine is rebuilt only when the catalog's tables change, and
swapped without blocking: queries in flight finish on the old engine, which closes off
the event loop after them (:mod:`gateway.federation.engine_choice`). Trino is used when
``MESHGATE_TRINO_URL`` is set. Every query, answered or refused, leaves its record to
usage, audit and lineage (:mod:`gateway.federation.query_trail`).
"""

from __future__ import annotations

from gateway.errors import BadRequest, GatewayError
from gateway.federation.engine_choice import EngineChoice
from gateway.federation.live_catalog import CatalogView, LiveCatalog
from gateway.federation.paging import (
    decode_cursor,
    encode_cursor,
    query_key,
    window,
)
from gateway.federation.planner import Plan, PlannerLimits
from gateway.federation.planning import Planner
from gateway.federation.query_trail import EXPLAIN, QuerySinks, QueryTrail
from gateway.federation.reach import Reach
from gateway.federation.records import Answer, Page, QueryAuditor, QueryEmitter, UsageRecorder
from gateway.federation.stream_workers import StreamWorkers
from gateway.federation.streaming import ResultStream, start_stream
from gateway.identity import Principal
from gateway.registry import Registry
from gateway.settings import Settings
from gateway.upstream import UpstreamFetcher


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
        reach = Reach.from_settings(settings)
        self.live = LiveCatalog(
            registry,
            fetcher,
            reach=reach,
            deadline_s=settings.sql_catalog_deadline_seconds,
            fresh_s=settings.cache_ttl_seconds,
        )
        registry.subscribe(self.live.changed)
        self.engines = EngineChoice(settings, reach)
        self._stream_workers = StreamWorkers()
        self._planner = Planner(
            PlannerLimits.from_settings(settings),
            workers=settings.sql_plan_workers,
            timeout_s=settings.sql_plan_timeout_seconds,
            cache_bytes=settings.sql_plan_cache_bytes,
        )

    async def catalog(self) -> CatalogView:
        """The tables of every registered product's output contracts, as last read (see
        :mod:`gateway.federation.live_catalog`: no network wait when the state is fresh)."""
        return await self.live.current()

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
        name = self.engines.name(engine)
        catalog = await self.catalog()
        return await self._plan(
            sql, catalog, name, max_rows=self._row_cap(max_rows), principal=principal
        )

    def _trail(
        self,
        sql: str,
        engine: str | None,
        caller: str | None,
        principal: Principal | None,
        request_id: str | None,
        action: str = "sql.query",
    ) -> QueryTrail:
        """The record of a query starting now (:mod:`gateway.federation.query_trail`)."""
        return QueryTrail(
            QuerySinks(self.recorder, self.auditor, self.lineage),
            sql,
            engine or self._settings.sql_engine,
            caller=caller,
            principal=principal,
            request_id=request_id,
            action=action,
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
        trail = self._trail(sql, engine, caller, principal, request_id)
        try:
            name = trail.engine = self.engines.name(engine)
            cap = self._row_cap(max_rows)
            catalog = await self.catalog()
            if offset:
                whole = await self._plan(sql, catalog, name, max_rows=None, principal=principal)
                trail.plan = checked = window(whole, cap + 1, offset)
            else:
                trail.plan = checked = await self._plan(
                    sql, catalog, name, max_rows=cap, principal=principal
                )
            async with self.engines.using(name, catalog) as use:
                result = await use.engine.execute(
                    checked,
                    timeout_s=self._settings.sql_timeout_seconds,
                    max_rows=cap,
                    max_bytes=self._settings.sql_max_result_bytes,
                )
        except GatewayError as exc:
            await trail.refused(exc)
            raise
        await trail.answered(len(result.rows))
        return Answer(plan=checked, result=result, engine=name)

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
            trail = self._trail(sql, engine, caller, principal, request_id)
            try:
                name = trail.engine = self.engines.name(engine)
                catalog = await self.catalog()
                trail.plan = whole = await self._plan(
                    sql, catalog, name, max_rows=None, principal=principal
                )
                key = query_key(whole, name)
                offset = decode_cursor(after, key)
            except GatewayError as exc:  # refused before it ran: still used and audited
                await trail.refused(exc)
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
        trail = self._trail(sql, engine, caller, principal, request_id, "sql.stream")
        limit = self._settings.sql_stream_max_rows
        try:
            name = trail.engine = self.engines.name(engine)
            catalog = await self.catalog()
            trail.plan = checked = await self._plan(
                sql, catalog, name, max_rows=limit, principal=principal
            )
            async with self.engines.using(name, catalog) as use:
                return await start_stream(
                    use.engine,
                    checked,
                    max_rows=limit,
                    timeout_s=self._settings.sql_timeout_seconds,
                    batch_rows=batch_rows,
                    max_row_bytes=self._settings.sql_max_result_bytes,
                    on_end=trail.ended,
                    workers=self._stream_workers,
                    # Its worker keeps the engine open past this block, until it is done.
                    on_idle=use.hold(),
                )
        except GatewayError as exc:
            await trail.refused(exc)
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
        trail = self._trail(sql, engine, caller, principal, request_id, EXPLAIN)
        try:
            name = trail.engine = self.engines.name(engine)
            catalog = await self.catalog()
            trail.plan = checked = await self._plan(
                sql, catalog, name, max_rows=self._settings.sql_max_rows, principal=principal
            )
            async with self.engines.using(name, catalog) as use:
                text = await use.engine.explain(checked)
        except GatewayError as exc:
            await trail.refused(exc)
            raise
        await trail.answered(0)
        return text

    async def close(self) -> None:
        """Stop refreshing, stop the streams still running, close every engine (off the
        event loop)."""
        self._planner.close()
        await self.live.close()
        await self._stream_workers.close()
        await self.engines.close()
