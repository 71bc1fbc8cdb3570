"""The embedded engine: one in-process DuckDB reading every product's data in place.

Each catalog table located for ``duckdb`` becomes a view exposing only its contract's
columns: local Parquet/CSV/JSON files through DuckDB's readers, PostgreSQL tables through
the ``postgres_scanner`` extension shipped on PyPI (attached read-only). Nothing is opened
before the operator's :class:`~gateway.federation.reach.Reach` agrees (data roots,
database hosts). Then the database is locked down: no extension is ever installed or
auto-loaded, files outside the registered ones cannot be opened, no Python variable
becomes a table, and no setting can be changed by a query. Every query runs with a
search path on an empty database, and the statement check lets it name nothing but the
mesh views and its own CTEs (no system view, no file by name).

Blocking DuckDB calls run in a bounded thread pool, each query on its own cursor, with a
per-query deadline that interrupts it and a database-wide memory limit.

>>> import asyncio
>>> engine = DuckDBEngine([], root=Path("."))
>>> asyncio.run(engine.run_sql("SELECT 42 AS answer", timeout_s=5, max_rows=10)).rows
[(42,)]
>>> asyncio.run(engine.close())
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from gateway.csv_dialect import Version, version_of
from gateway.errors import SqlEngineError, TableUnavailable
from gateway.federation.engines import _duckdb_sources as sources
from gateway.federation.engines import _duckdb_work as work_on
from gateway.federation.engines._duckdb_csv_views import CsvViews, sniffed_relation, store_types
from gateway.federation.engines._duckdb_guard import check_statement, first_line, translate
from gateway.federation.engines._duckdb_relations import Relation
from gateway.federation.engines._running_query import RunningQuery
from gateway.federation.engines._watchdog import Alarm, Watchdog
from gateway.federation.engines.base import Result
from gateway.federation.reach import OutOfReach, Reach
from gateway.federation.started_pool import started_pool

if TYPE_CHECKING:
    from gateway.federation.catalog import CatalogTable
    from gateway.federation.planner import Plan

log = logging.getLogger(__name__)

# Set at connect time, before anything else runs: DuckDB would otherwise fetch a missing
# extension from the internet the first time a query needs it.
_CONNECT_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
}
# An empty in-memory database: the search path of every query, so a one-part name that
# is not a CTE finds no user table (views live in their own catalogs, e.g. "mesh").
_NOWHERE = "_nowhere"


class DuckDBEngine:
    """The embedded DuckDB engine over ``catalog_tables`` (those with a duckdb location).

    ``root`` resolves the contracts' relative file paths (``reach.root`` when ``reach``
    is given; by default the data roots are ``root`` alone and the database hosts the
    settings' defaults); a location out of ``reach`` is unavailable, with the reason,
    and nothing of it is opened. ``postgres_dsns`` maps a
    postgres server's ``host:port/database`` to the DSN to attach it with (credentials
    included); a server without an entry is attached with libpq's defaults. A table whose
    data cannot be reached at start-up is listed in :attr:`unavailable` and refused when
    a plan uses it; the others work. ``temp_directory`` lets big sorts and joins spill to
    disk; without it a query past ``memory_limit`` fails with ``SQL_MEMORY_LIMIT``.
    """

    name = "duckdb"

    def __init__(
        self,
        catalog_tables: Iterable[CatalogTable],
        *,
        root: Path,
        memory_limit: str = "512MB",
        threads: int = 2,
        postgres_dsns: Mapping[str, str] | None = None,
        workers: int = 4,
        temp_directory: Path | None = None,
        reach: Reach | None = None,
    ) -> None:
        self.reach = reach or Reach.of(root=root)
        self.root = self.reach.root
        self.views: dict[str, str] = {}  # logical@version -> the view's qualified name
        self.unavailable: dict[str, str] = {}  # logical@version -> why
        self._out_of_reach: set[str] = set()  # those refused by the reach (a safe reason)
        self.extensions: dict[str, str] = {}  # loaded extension -> how (after set-up)
        config: dict[str, Any] = {
            **_CONNECT_CONFIG,
            "memory_limit": memory_limit,
            "threads": threads,
            "temp_directory": str(temp_directory or ""),
        }
        self._con = duckdb.connect(":memory:", config=config)
        self._con.execute("SET TimeZone = 'UTC'")  # timestamps answer the same everywhere
        self._dsns = dict(postgres_dsns or {})
        self._attached: dict[str, str] = {}  # postgres_key -> private alias
        self._unreachable: dict[str, str] = {}  # postgres_key -> why it could not attach
        self._catalogs: set[str] = set()
        self._schemas: set[tuple[str, ...]] = set()
        self._allowed: list[str] = []
        self._relations: frozenset[Relation] = frozenset()
        self._csv = CsvViews()
        try:
            self._con.execute(f"ATTACH ':memory:' AS {_NOWHERE}")
            for table in catalog_tables:
                self._add_table(table)
            self._lock_down()
        except BaseException:
            self._con.close()
            raise
        self._pool = started_pool(workers, "duckdb")  # built off the loop: start them here
        self._watchdog = Watchdog()
        self.closed = False  # set once closed: workers stopped, database closed
        self._running = 0  # queries a worker is executing (tests wait on it, not on sleeps)
        self._running_lock = threading.Lock()
        self._cursors: dict[int, duckdb.DuckDBPyConnection] = {}  # by worker thread

    @property
    def running(self) -> int:
        """How many queries a worker is executing now (taken from the queue, not done)."""
        return self._running

    # -- set-up ----------------------------------------------------------------------

    def _add_table(self, table: CatalogTable) -> None:
        location = table.locations.get("duckdb")
        if location is None:
            return
        key = _key(table)
        kind = str(location.source.get("type", "local")).lower()
        allowed: list[str] = []
        source: sources.FileSource | None = None
        version: Version = ()
        try:
            refused = self.reach.judge(location)
            if refused is not None:
                raise OutOfReach(refused)
            if kind == "postgres":
                relation = self._postgres_relation(table, location.source)
            else:
                source = sources.file_source(location, self.reach, self._glob)
                allowed = source.allowed()
                version = version_of([str(f) for f in source.files])
                relation = sniffed_relation(source, self._con)
            types = store_types(self._con, relation)
            self._ensure_container(location.parts[:-1])
            select = sources.view_select(table, relation, types)
            view = sources.qualified(location.parts)
            # A one-part container is a catalog of its own: its views are "mesh"."v" to
            # the planner and "mesh"."main"."v" here, never in the search path.
            inside = location.parts if len(location.parts) > 2 else (
                location.parts[0], "main", location.parts[1])  # fmt: skip
            self._con.execute(f"CREATE OR REPLACE VIEW {sources.qualified(inside)} AS {select}")
            if source is not None:  # CSV: made again when its files change
                self._csv.add(key, table, source, sources.qualified(inside), version)
        except (duckdb.Error, ValueError, OSError) as exc:
            self.unavailable[key] = first_line(exc)
            if isinstance(exc, OutOfReach):
                self._out_of_reach.add(key)
            log.warning("duckdb: %s unavailable: %s", key, self.unavailable[key])
            return
        self._allowed.extend(allowed)  # only files behind a view may be opened once locked
        self.views[key] = view
        parts = tuple(p.lower() for p in location.parts)
        self._relations = self._relations | {parts}

    def _glob(self, pattern: str) -> list[str]:
        found = self._con.execute("SELECT file FROM glob(?)", [pattern]).fetchall()
        return [str(row[0]) for row in found]

    def _postgres_relation(self, table: CatalogTable, source: Mapping[str, Any]) -> str:
        server = sources.postgres_key(source)
        if server in self._unreachable:  # tried once already: do not wait for it again
            raise ValueError(self._unreachable[server])
        alias = self._attached.get(server)
        if alias is None:
            if not self._attached:
                self._con.execute(
                    f"LOAD {sources.quote_literal(str(sources.postgres_scanner_path()))}"
                )
            # A private alias: the planner's names point at views, never at the database.
            alias = f"_pg_{len(self._attached)}"
            dsn = self._dsns.get(server) or sources.default_postgres_dsn(source)
            try:
                self._con.execute(
                    f"ATTACH {sources.quote_literal(dsn)} AS {alias} (TYPE postgres, READ_ONLY)"
                )
            except duckdb.Error as exc:
                self._unreachable[server] = f"PostgreSQL {server}: {first_line(exc)}"
                raise ValueError(self._unreachable[server]) from None
            self._attached[server] = alias
        physical = table.physical_name or table.table
        return sources.qualified((alias, str(source["schema"]), physical))

    def _ensure_container(self, parts: tuple[str, ...]) -> None:
        # Every view lives in an in-memory database named after its first part, outside
        # the search path; a three-part name also needs its schema there.
        if parts and parts[0] not in self._catalogs:
            self._con.execute(f"ATTACH ':memory:' AS {sources.quote_ident(parts[0])}")
            self._catalogs.add(parts[0])
        if len(parts) == 2 and parts not in self._schemas:
            self._con.execute(f"CREATE SCHEMA IF NOT EXISTS {sources.qualified(parts)}")
            self._schemas.add(parts)

    def _lock_down(self) -> None:
        # Listed now: once external access is off, duckdb_extensions() may not read the
        # extension directory any more.
        self.extensions = dict(
            self._con.execute(
                "SELECT extension_name, install_mode FROM duckdb_extensions() WHERE loaded"
            ).fetchall()
        )
        listed = ", ".join(sources.quote_literal(v) for v in sorted(set(self._allowed)))
        self._con.execute(f"SET allowed_paths = [{listed}]")
        self._con.execute("SET allowed_directories = []")
        self._con.execute("SET GLOBAL python_enable_replacements = false")
        self._con.execute("SET enable_external_access = false")
        self._con.execute("SET lock_configuration = true")

    # -- queries ---------------------------------------------------------------------

    async def execute(
        self, plan: Plan, *, timeout_s: float, max_rows: int, max_bytes: int | None = None
    ) -> Result:
        """Run ``plan.sql``; the first ``max_rows`` rows, ``truncated`` if there were more;
        ``SQL_RESULT_TOO_LARGE`` once the rows read pass ``max_bytes``."""
        self._check_tables(plan)
        work = self._renewing(plan, work_on.fetch)
        result: Result = await self._submit(work, plan.sql, timeout_s, max_rows, max_bytes)
        return result

    async def explain(self, plan: Plan, *, timeout_s: float = 30.0) -> str:
        """DuckDB's physical plan of ``plan.sql`` (``EXPLAIN``), without running it."""
        self._check_tables(plan)
        text: str = await self._submit(self._renewing(plan, work_on.explain), plan.sql, timeout_s)
        return text

    def _renewing(self, plan: Plan, work: Any) -> Any:
        """``work`` once the CSV views ``plan`` reads are made again where their files
        changed (in the worker: a new sniff takes tens of milliseconds)."""
        keys = _keys(plan)

        def run(cursor: duckdb.DuckDBPyConnection, sql: str, started: float, *args: Any) -> Any:
            self._csv.renew(keys, cursor)
            return work(cursor, sql, started, *args)

        return run

    async def run_sql(
        self, sql: str, *, timeout_s: float, max_rows: int, max_bytes: int | None = None
    ) -> Result:
        """Run engine-dialect SQL that already passed the planner (tests, benchmarks)."""
        result: Result = await self._submit(work_on.fetch, sql, timeout_s, max_rows, max_bytes)
        return result

    def stream_batches(
        self, plan: Plan, batch_rows: int = 10_000, *, timeout_s: float | None = None
    ) -> Iterator[pa.RecordBatch]:
        """The full result of ``plan`` as Arrow record batches of at most ``batch_rows``.

        Blocking: iterate it in a worker thread. DuckDB produces batches as they are read,
        so memory stays bounded whatever the result size; closing the iterator early
        ends the query.
        """
        self._check_tables(plan)
        cursor = self._cursor()
        running = RunningQuery(cursor, again=self._watchdog.arm)
        alarm = self._arm(running, timeout_s)
        try:
            try:
                check_statement(cursor, plan.sql, self._relations)
                self._csv.renew(_keys(plan), cursor)
                reader = cursor.execute(plan.sql).to_arrow_reader(batch_rows)
                yield from reader
            except (duckdb.Error, OSError) as exc:
                raise translate(
                    exc, timed_out=alarm is not None and alarm.fired, timeout_s=timeout_s
                ) from None
        finally:
            running.finish()  # no interrupt sent again to a closed cursor
            if alarm is not None:
                alarm.cancel()
            cursor.close()

    async def close(self) -> None:
        """Stop the workers and close the database, in a thread: the pool waits for the
        queries still finishing, and that wait must not stall the event loop."""
        await asyncio.to_thread(self.shutdown)

    def shutdown(self) -> None:
        """:meth:`close`, blocking: wait for the running queries, then close the database
        (never while a cursor of it runs; a query still queued is dropped)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._watchdog.close()
        for cursor in self._cursors.values():
            cursor.close()
        self._con.close()
        self.closed = True

    def _check_tables(self, plan: Plan) -> None:
        for use in plan.tables:
            key = _key(use.table)
            if key in self._out_of_reach:
                reason = self.unavailable[key]
                raise TableUnavailable(
                    f"{use.table.logical} is unavailable on duckdb: {reason}",
                    product_id=use.table.product_id, table=use.table.logical,
                    engine="duckdb", reason=reason,
                )  # fmt: skip
            if key in self.unavailable:
                # The engine's own words name files and hosts: they stay in the log.
                raise SqlEngineError(
                    f"{use.table.logical} is unavailable on duckdb: its data could not be "
                    "opened when the engine started (details in the gateway's log)",
                    product_id=use.table.product_id,
                )
            if key not in self.views:
                raise SqlEngineError(
                    f"{use.table.logical} has no duckdb location", product_id=use.table.product_id
                )

    async def _submit(self, work: Any, sql: str, timeout_s: float, *args: Any) -> Any:
        deadline = time.monotonic() + timeout_s
        holder: dict[str, Any] = {}  # "cursor" once a worker runs it; "cancelled"
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(
            self._pool, self._guarded, work, sql, deadline, timeout_s, holder, *args
        )
        expired = False

        def expire() -> None:
            # Still waiting for a worker at its deadline: take it out of the queue. A
            # query already running is interrupted by its own alarm at the same deadline.
            nonlocal expired
            if "cursor" not in holder:
                expired = True
                future.cancel()

        timer = loop.call_later(timeout_s, expire)
        try:
            return await future
        except asyncio.CancelledError:
            if expired:
                raise translate(
                    duckdb.InterruptException("queued"), timed_out=True, timeout_s=timeout_s
                ) from None
            # The caller went away (client disconnect): stop the query, free the worker.
            # DuckDB forgets an interrupt that comes before its query starts, so the
            # worker also looks at the flag just before it runs the query.
            holder["cancelled"] = True
            cursor = holder.get("cursor")
            if cursor is not None:
                cursor.interrupt()
            raise
        finally:
            timer.cancel()

    def _guarded(
        self,
        work: Any,
        sql: str,
        deadline: float,
        timeout_s: float,
        holder: dict[str, Any],
        *args: Any,
    ) -> Any:
        started = time.perf_counter()
        remaining = deadline - time.monotonic()
        if remaining <= 0:  # waited its whole time in the pool's queue
            raise translate(
                duckdb.InterruptException("queued"), timed_out=True, timeout_s=timeout_s
            )
        cursor = self._worker_cursor()
        running = RunningQuery(cursor, again=self._watchdog.arm)
        holder["cursor"] = running
        alarm = self._arm(running, remaining)
        with self._running_lock:
            self._running += 1
        try:
            check_statement(cursor, sql, self._relations)
            if holder.get("cancelled"):  # the caller left before the query started
                raise duckdb.InterruptException("cancelled before it started")
            return work(cursor, sql, started, *args)
        except (duckdb.Error, OSError) as exc:
            fired = alarm is not None and alarm.fired
            raise translate(exc, timed_out=fired, timeout_s=timeout_s) from None
        finally:
            running.finish()  # no interrupt of this query reaches the next one
            if alarm is not None:
                alarm.cancel()
            with self._running_lock:
                self._running -= 1

    def _worker_cursor(self) -> duckdb.DuckDBPyConnection:
        """This worker thread's cursor, made on its first query: one query at a time
        runs on it (making a cursor and setting its search path took 0.1 to 0.6 ms a
        query)."""
        thread = threading.get_ident()
        cursor = self._cursors.get(thread)
        if cursor is None:
            cursor = self._cursors[thread] = self._cursor()
        return cursor

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        # The search path is per connection: each cursor starts on the empty one.
        cursor = self._con.cursor()
        cursor.execute(f"SET search_path = '{_NOWHERE}.main'")
        return cursor

    def _arm(self, query: RunningQuery, seconds: float | None) -> Alarm | None:
        return None if seconds is None else self._watchdog.arm(seconds, query.interrupt)


def _key(table: CatalogTable) -> str:
    """A table's key among the engine's views: ``logical@version``."""
    return f"{table.logical}@{table.contract_version}"


def _keys(plan: Plan) -> list[str]:
    """The keys of the tables ``plan`` reads."""
    return [_key(use.table) for use in plan.tables]
