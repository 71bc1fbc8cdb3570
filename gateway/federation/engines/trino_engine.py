"""The Trino engine: the official ``trino`` client, run in a bounded thread pool.

Every query carries ``query_max_execution_time`` (Trino stops it server-side) and a
``source`` tag (for resource groups); the gateway also cancels it itself when its own
timeout passes or the caller goes away, so no query outlives its request. A query planned
for a caller runs as that caller: Trino's ``user`` is the caller's subject and its client
tags say ``meshgate``, so Trino's own logs, ``system.runtime.queries`` and access control
see who asked (internal queries run as the configured service user).

Each query leases an HTTP session from :class:`TrinoSessions` (kept per Trino user, so
one caller's session never serves another, and bounded) and gives it back when it ends,
however it ends; a query stopped before its last page is cancelled on the server then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pyarrow as pa
import trino
from trino.exceptions import HttpError, TrinoConnectionError, TrinoQueryError

from gateway.errors import EngineUnavailable, GatewayError, SqlEngineError, SqlInvalid, SqlTimeout
from gateway.federation.engines._trino_sessions import TrinoSessions
from gateway.federation.engines.base import Result
from gateway.federation.engines.messages import public_message
from gateway.federation.result_size import ResultBudget, fetch_within
from gateway.federation.started_pool import started_pool

log = logging.getLogger(__name__)
T = TypeVar("T")

# Trino error names that mean "the query ran out of time".
_TIMEOUT_ERRORS = frozenset({"EXCEEDED_TIME_LIMIT", "EXCEEDED_CPU_LIMIT", "USER_CANCELED"})
_USER_UNSAFE = re.compile(r"[^A-Za-z0-9@._:+-]")
_MAX_USER = 128


def trino_user(subject: str | None, default: str) -> str:
    """The Trino user a query of caller ``subject`` runs as: the subject with characters
    outside ``[A-Za-z0-9@._:+-]`` replaced (it travels in an HTTP header), or ``default``.

    >>> trino_user("ana@example.org", "meshgate"), trino_user("a,b c", "x")
    ('ana@example.org', 'a_b_c')
    >>> trino_user(None, "meshgate")
    'meshgate'
    """
    if not subject or not subject.strip():
        return default
    return _USER_UNSAFE.sub("_", subject.strip())[:_MAX_USER]


@dataclass(frozen=True)
class TrinoSettings:
    url: str = "http://127.0.0.1:58080"
    user: str = "meshgate"
    source: str = "meshgate"
    max_workers: int = 4  # concurrent Trino queries from one gateway
    idle_sessions: int = 4  # HTTP sessions kept between queries (each: its keep-alive sockets)


def translate_trino_error(exc: BaseException) -> GatewayError:
    """Our coded error for a failure of the trino client: the error's name and its first
    line without values or paths (``public_message``).

    >>> translate_trino_error(TrinoConnectionError("refused")).code
    'ENGINE_UNAVAILABLE'
    """
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, TrinoQueryError):
        name = exc.error_name or "ERROR"
        log.debug("trino: %s: %s", name, (exc.message or "").splitlines()[:1])
        message = public_message(exc.message) if exc.message else name
        if name in _TIMEOUT_ERRORS:
            return SqlTimeout(f"Trino stopped the query: {message}", engine="trino")
        if name == "SYNTAX_ERROR":
            return SqlInvalid(f"Trino could not parse the query: {message}", engine="trino")
        return SqlEngineError(f"Trino {name}: {message}", engine="trino", error_name=name)
    if isinstance(exc, TrinoConnectionError | HttpError | OSError):
        return EngineUnavailable(f"Trino is unreachable: {type(exc).__name__}", engine="trino")
    return SqlEngineError(f"Trino client failed: {type(exc).__name__}", engine="trino")


class TrinoEngine:
    name = "trino"

    def __init__(
        self,
        settings: TrinoSettings | None = None,
        *,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.settings = settings or TrinoSettings()
        url = urlsplit(self.settings.url)
        self._host = url.hostname or "127.0.0.1"
        self._port = url.port or 8080
        self._scheme = url.scheme or "http"
        self._pool = started_pool(self.settings.max_workers, "trino")
        self._clock = clock
        self.sessions = TrinoSessions(max_idle=self.settings.idle_sessions)

    def _open_cursor(self, timeout_s: float, plan: Any) -> tuple[Any, Callable[[], None]]:
        """A cursor on a leased session, and what ends it: cancel the query on the server
        if it has not finished (a truncated or abandoned read), give the session back."""
        user = trino_user(getattr(plan, "user", None), self.settings.user)
        session = self.sessions.acquire(user)
        try:
            connection = trino.dbapi.connect(  # type: ignore[no-untyped-call]
                host=self._host,
                port=self._port,
                http_scheme=self._scheme,
                user=user,
                source=self.settings.source,
                client_tags=[self.settings.source],
                session_properties={"query_max_execution_time": f"{max(1, int(timeout_s))}s"},
                request_timeout=timeout_s + 5,
                http_session=session,
            )
            cursor = connection.cursor()
        except BaseException:
            self.sessions.release(user, session)
            raise
        ended = threading.Event()

        def end() -> None:
            if ended.is_set():
                return
            ended.set()
            try:
                with contextlib.suppress(Exception):  # finished already: nothing to stop
                    cursor.cancel()
            finally:
                self.sessions.release(user, session)

        return cursor, end

    async def execute(
        self, plan: Any, *, timeout_s: float, max_rows: int, max_bytes: int | None = None
    ) -> Result:
        """Run ``plan.sql``; at most ``max_rows`` rows come back, ``truncated`` says if more;
        ``SQL_RESULT_TOO_LARGE`` (and the query cancelled) once they pass ``max_bytes``."""
        started = self._clock()

        def run(cursor: Any) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
            cursor.execute(plan.sql)
            rows = fetch_within(cursor, max_rows, ResultBudget(max_bytes))
            columns = [(d.name, d.type_code) for d in cursor.description or []]
            return columns, rows

        columns, rows = await self._run(plan, run, timeout_s)
        return Result(
            columns=tuple(columns),
            rows=rows[:max_rows],
            truncated=len(rows) > max_rows,
            elapsed_ms=(self._clock() - started) * 1000,
        )

    async def explain(self, plan: Any, *, timeout_s: float = 30.0) -> str:
        def run(cursor: Any) -> str:
            cursor.execute(f"EXPLAIN {plan.sql}")
            return "\n".join(str(r[0]) for r in cursor.fetchall())

        text: str = await self._run(plan, run, timeout_s)
        return text

    async def _run(self, plan: Any, work: Callable[[Any], T], timeout_s: float) -> T:
        cursor, end = self._open_cursor(timeout_s, plan)
        try:
            future: Future[T] = self._pool.submit(work, cursor)
        except BaseException:  # the pool is shut down: nothing will run
            end()
            raise
        # Ended when the work ends, or when it is dropped before it starts (shutdown).
        future.add_done_callback(lambda _: end())
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout_s)
        except TimeoutError:
            await loop.run_in_executor(None, cursor.cancel)
            raise SqlTimeout(
                f"the query ran longer than {timeout_s:g}s and was cancelled", engine="trino"
            ) from None
        except asyncio.CancelledError:
            # The caller went away (client disconnect): stop the query on the server too.
            await loop.run_in_executor(None, cursor.cancel)
            raise
        except Exception as exc:
            raise translate_trino_error(exc) from exc

    def stream(self, plan: Any, *, timeout_s: float, batch_rows: int = 10_000) -> TrinoStream:
        """The full result of ``plan`` as Arrow batches, read with ``fetchmany``.

        Iterate the returned :class:`TrinoStream` in :attr:`executor` (it blocks);
        Trino stops the query itself after ``timeout_s`` (``query_max_execution_time``).
        """
        return TrinoStream(lambda: self._open_cursor(timeout_s, plan), plan.sql, batch_rows)

    @property
    def executor(self) -> Executor:
        """The bounded pool Trino calls run in (streams too, one worker each)."""
        return self._pool

    async def close(self) -> None:
        """Stop taking queries and close the idle sessions (a running query's session
        closes when the query ends)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.sessions.close()


def arrow_type(type_name: str) -> pa.DataType:
    """The Arrow type a column of engine type ``type_name`` is streamed as.

    Trino's and DuckDB's scalar type names (case-insensitive, with parameters); anything
    else (arrays, rows, intervals...) travels as its text.

    >>> arrow_type("decimal(10,2)"), arrow_type("varchar(5)"), arrow_type("timestamp(3)")
    (Decimal128Type(decimal128(10, 2)), DataType(string), TimestampType(timestamp[us]))
    """
    name = type_name.strip().lower()
    base = name.split("(", 1)[0].strip()
    if base == "decimal" and "(" in name:
        precision, _, scale = name[name.index("(") + 1 : name.rindex(")")].partition(",")
        return pa.decimal128(int(precision), int(scale or 0))
    if base in ("timestamp", "timestamp with time zone", "timestamptz"):
        return pa.timestamp("us", tz="UTC" if "zone" in name or base.endswith("tz") else None)
    return _ARROW_TYPES.get(base, pa.string())


_ARROW_TYPES: dict[str, pa.DataType] = {
    "bigint": pa.int64(),
    "integer": pa.int32(),
    "int": pa.int32(),
    "smallint": pa.int16(),
    "tinyint": pa.int8(),
    "double": pa.float64(),
    "real": pa.float32(),
    "float": pa.float32(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "varbinary": pa.binary(),
    "blob": pa.binary(),
}


class TrinoStream:
    """One Trino query read in batches: iterate it in a worker thread, ``cancel()`` anywhere.

    Only ``batch_rows`` rows are held at a time: the client fetches Trino's result pages
    as the iteration asks for them. The cursor (and its leased session) is opened when the
    iteration starts and ended when it stops, whether read to the end, failed or closed.
    """

    def __init__(
        self, open_cursor: Callable[[], tuple[Any, Callable[[], None]]], sql: str, batch_rows: int
    ) -> None:
        self._open_cursor = open_cursor
        self._cursor: Any = None
        self._sql = sql
        self._batch_rows = batch_rows
        self.cancelled = False

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        if self.cancelled:  # given up before it started
            return
        try:
            cursor, end = self._open_cursor()
        except Exception as exc:
            raise translate_trino_error(exc) from exc
        self._cursor = cursor
        try:
            cursor.execute(self._sql)
            rows = cursor.fetchmany(self._batch_rows)
            schema = pa.schema(
                [(d.name, arrow_type(str(d.type_code))) for d in cursor.description or []]
            )
            # An empty result still says its columns: one batch of no rows.
            yield _batch(schema, rows)
            while rows and not self.cancelled:
                rows = cursor.fetchmany(self._batch_rows)
                if rows:
                    yield _batch(schema, rows)
        except Exception as exc:
            if self.cancelled:
                return
            raise translate_trino_error(exc) from exc
        finally:
            end()  # stops the query if it has not finished, gives the session back

    def cancel(self) -> None:
        """Stop the query on the server (the caller went away)."""
        self.cancelled = True
        if self._cursor is not None:
            with contextlib.suppress(Exception):  # already finished: nothing to stop
                self._cursor.cancel()


def _batch(schema: pa.Schema, rows: list[Any]) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    arrays = [
        pa.array(
            [_text(v) for v in values] if field.type == pa.string() else list(values),
            type=field.type,
        )
        for field, values in zip(schema, columns, strict=True)
    ]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _text(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else str(value)
