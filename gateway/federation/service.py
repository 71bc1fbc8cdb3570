"""The federation service: the mesh's catalog read live, a plan, an engine, an answer.

The catalog is built from the output contracts the registered products serve (through
the same cached fetcher as the graph), so a table exists for SQL exactly when its
product is registered and its contract declares it. The embedded DuckDB engine is
rebuilt only when the catalog changes; Trino is used when ``MESHGATE_TRINO_URL`` is set.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from gateway.errors import BadRequest, EngineUnavailable, GatewayError
from gateway.federation.catalog import StaticCatalog, build_catalog
from gateway.federation.engines import DuckDBEngine, Engine, Result
from gateway.federation.engines.trino_engine import TrinoEngine, TrinoSettings
from gateway.federation.planner import Plan, plan
from gateway.registry import Registry
from gateway.settings import Settings
from gateway.upstream import UpstreamFetcher

log = logging.getLogger(__name__)

ENGINES = ("duckdb", "trino")


@dataclass(frozen=True)
class Answer:
    plan: Plan
    result: Result
    engine: str


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


class UsageRecorder(Protocol):
    async def record(self, entry: QueryRecord) -> None: ...


class Federation:
    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        fetcher: UpstreamFetcher,
        recorder: UsageRecorder | None = None,
    ) -> None:
        self._settings = settings
        self.recorder = recorder
        self._registry = registry
        self._fetcher = fetcher
        self._lock = asyncio.Lock()
        self._signature: tuple[Any, ...] | None = None
        self._catalog: StaticCatalog | None = None
        self._duckdb: DuckDBEngine | None = None
        self._trino: TrinoEngine | None = None
        if settings.trino_url:
            self._trino = TrinoEngine(TrinoSettings(url=settings.trino_url))

    async def catalog(self) -> StaticCatalog:
        """The tables of every registered product's output contracts, as served now."""
        entries: list[tuple[str, str, str, Mapping[str, Any]]] = []
        for product in await self._registry.list():
            outputs = {(r.id, r.version) for v in product.versions for r in v.outputs}
            for link in product.contracts:
                if (link.id, link.version) not in outputs:
                    continue
                try:
                    doc = await self._fetcher.get_json(link.href, product_id=product.id)
                except GatewayError as exc:
                    # A product that is down has no tables for now; say so in the log.
                    log.warning("SQL catalog leaves out %s: %s", product.key, exc.message)
                    continue
                if isinstance(doc.data, dict):
                    entries.append((product.id, product.domain, product.slug, doc.data))
        signature = tuple(
            sorted((e[0], str(e[3].get("id")), str(e[3].get("version"))) for e in entries)
        )
        async with self._lock:
            if signature != self._signature or self._catalog is None:
                self._catalog = build_catalog(entries)
                self._signature = signature
                if self._duckdb is not None:
                    await self._duckdb.close()
                    self._duckdb = None
            return self._catalog

    async def _engine(self, name: str, catalog: StaticCatalog) -> Engine:
        if name == "trino":
            if self._trino is None:
                raise EngineUnavailable(
                    "engine TRINO is not configured: set MESHGATE_TRINO_URL", engine="trino"
                )
            return self._trino
        async with self._lock:
            if self._duckdb is None:
                root = Path(self._settings.data_root).resolve()
                self._duckdb = await asyncio.to_thread(
                    DuckDBEngine,
                    catalog.tables(),
                    root=root,
                    memory_limit=self._settings.duckdb_memory_limit,
                )
            return self._duckdb

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

    async def plan(self, sql: str, engine: str | None, max_rows: int | None) -> Plan:
        name = self._engine_name(engine)
        catalog = await self.catalog()
        return plan(sql, catalog, name, max_rows=self._row_cap(max_rows))

    async def run(
        self,
        sql: str,
        *,
        engine: str | None = None,
        max_rows: int | None = None,
        caller: str | None = None,
    ) -> Answer:
        """Check, rewrite and run ``sql``; nothing reaches an engine before the planner agrees.

        Every query, answered or refused, is handed to the usage recorder.
        """
        started = time.perf_counter()
        name = engine or self._settings.sql_engine
        checked: Plan | None = None
        try:
            name = self._engine_name(engine)
            cap = self._row_cap(max_rows)
            catalog = await self.catalog()
            checked = plan(sql, catalog, name, max_rows=cap)
            runner = await self._engine(name, catalog)
            result = await runner.execute(
                checked, timeout_s=self._settings.sql_timeout_seconds, max_rows=cap
            )
        except GatewayError as exc:
            await self._record(caller, sql, name, exc.code, 0, started, checked)
            raise
        await self._record(caller, sql, name, "ok", len(result.rows), started, checked)
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
    ) -> None:
        if self.recorder is None:
            return
        entry = QueryRecord(
            caller=caller,
            sql=sql,
            engine=engine,
            outcome=outcome,
            rows=rows,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            plan=checked,
            at=datetime.now(UTC),
        )
        try:
            await self.recorder.record(entry)
        except Exception:  # a usage store that fails must not fail the query
            log.exception("recording SQL usage failed")

    async def explain(self, sql: str, *, engine: str | None = None) -> str:
        name = self._engine_name(engine)
        catalog = await self.catalog()
        checked = plan(sql, catalog, name, max_rows=self._settings.sql_max_rows)
        return await (await self._engine(name, catalog)).explain(checked)

    async def close(self) -> None:
        if self._duckdb is not None:
            await self._duckdb.close()
        if self._trino is not None:
            await self._trino.close()
