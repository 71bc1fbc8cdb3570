"""A whole SQL result as a stream of Arrow batches, with bounded memory and cancellation.

The engine is read in a worker thread (DuckDB's ``stream_batches``, Trino's ``fetchmany``
loop in the Trino pool) that hands batches to the event loop through a buffer of
:data:`BUFFERED_BATCHES` slots: when the reader of the stream is slow, the worker waits,
so at most that many batches (plus the one being written) are held at once.

DuckDB streams read in the federation's :class:`~gateway.federation.stream_workers.
StreamWorkers`; ``on_idle`` tells the federation when a stream's worker has let go of the
engine's cursor, so a retired engine is closed only after its last stream is done.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator
from concurrent.futures import Executor
from typing import Any

import pyarrow as pa

from gateway.errors import GatewayError, SqlEngineError, SqlTimeout
from gateway.federation.engines import DuckDBEngine, Engine
from gateway.federation.engines.messages import public_message
from gateway.federation.engines.trino_engine import TrinoEngine, arrow_type
from gateway.federation.paging import window
from gateway.federation.planner import Plan
from gateway.federation.result_size import check_batch_rows
from gateway.federation.stream_workers import StreamWorkers

log = logging.getLogger(__name__)

BUFFERED_BATCHES = 2
# Recording tasks outlive a cancelled request: keep them referenced until they finish.
_pending: set[asyncio.Task[None]] = set()

OnEnd = Callable[[str, int], Coroutine[Any, Any, None]]


class StreamTooLarge(GatewayError):
    """The result has more rows than ``sql_stream_max_rows``; the stream was cut there."""

    code = "SQL_STREAM_TOO_LARGE"


class ResultStream:
    """A started query: :attr:`schema` now, :meth:`batches` as they come, :meth:`aclose`.

    Always ``aclose()`` it (also after a full read): that stops the engine's query if it
    is still running and hands the query to the usage recorder, once.
    """

    def __init__(
        self,
        plan: Plan,
        schema: pa.Schema,
        first: pa.RecordBatch | None,
        pump: _Pump,
        *,
        max_rows: int,
        on_end: OnEnd,
        max_row_bytes: int | None = None,
    ) -> None:
        self.plan = plan
        self.engine = plan.engine
        self.schema = schema
        self.rows = 0
        self._first = first
        self._pump = pump
        self._max_rows = max_rows
        self._max_row_bytes = max_row_bytes
        self._on_end = on_end
        self._outcome = "CANCELLED"  # unless the read reaches the end or fails
        self._closed = False

    async def batches(self) -> AsyncIterator[pa.RecordBatch]:
        """The batches in order; raises a :class:`GatewayError` when the query fails."""
        try:
            if self._first is not None:
                first, self._first = self._first, None
                yield self._count(first)
            async for batch in self._pump.items():
                yield self._count(batch)
            self._outcome = "ok"
        except GatewayError as exc:
            self._outcome = exc.code
            raise

    def _count(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        check_batch_rows(batch, self._max_row_bytes)  # one row may hold a whole table
        room = self._max_rows - self.rows
        if batch.num_rows > room:
            self.rows = self._max_rows
            raise StreamTooLarge(
                f"the result has more than {self._max_rows} rows (sql_stream_max_rows)",
                limit=self._max_rows,
            )
        self.rows += batch.num_rows
        return batch

    async def aclose(self) -> None:
        """Stop the query if still running; record the query's usage (once)."""
        if self._closed:
            return
        self._closed = True
        self._pump.stop()  # synchronous: works even inside a cancelled request
        task = asyncio.get_running_loop().create_task(self._on_end(self._outcome, self.rows))
        _pending.add(task)
        task.add_done_callback(_pending.discard)


class _Pump:
    """Batches read in a worker thread, handed over through a bounded buffer."""

    def __init__(
        self,
        source: Iterable[pa.RecordBatch],
        cancel: Callable[[], None],
        executor: Executor | None,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._slots = threading.Semaphore(BUFFERED_BATCHES)
        self._stopped = threading.Event()
        self._cancel = cancel
        self._done = self._loop.run_in_executor(executor, self._produce, source)
        if on_idle is not None:  # the worker ended (or never started): the engine is free
            self._done.add_done_callback(lambda _: on_idle())

    def _produce(self, source: Iterable[pa.RecordBatch]) -> None:
        if self._stopped.is_set():  # given up while waiting for a worker: never start
            return
        iterator: Iterator[pa.RecordBatch] = iter(source)
        try:
            for batch in iterator:
                if not self._put("batch", batch):
                    return
            self._put("end", None)
        except BaseException as exc:  # handed to the reader, who raises it
            self._put("error", exc)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()  # a generator: ends the engine's query and frees its cursor

    def _put(self, kind: str, item: Any) -> bool:
        # Wait for a free slot, giving up when the stream was stopped.
        while not self._slots.acquire(timeout=0.1):
            if self._stopped.is_set():
                return False
        if self._stopped.is_set():
            return False
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, (kind, item))
        except RuntimeError:  # the loop is gone: nobody reads any more
            return False
        return True

    async def next_item(self) -> tuple[str, Any]:
        kind, item = await self._queue.get()
        self._slots.release()
        return kind, item

    async def items(self) -> AsyncIterator[pa.RecordBatch]:
        while True:
            kind, item = await self.next_item()
            if kind == "end":
                return
            if kind == "error":
                raise _coded(item)
            yield item

    def stop(self) -> None:
        """Cancel the engine's query and let the worker go (idempotent, never blocks)."""
        if not self._stopped.is_set():
            self._stopped.set()
            try:
                self._cancel()
            except Exception:  # a query that already ended cannot be cancelled
                log.debug("cancelling a finished stream", exc_info=True)


def _coded(exc: BaseException) -> GatewayError:
    if isinstance(exc, GatewayError):
        return exc
    log.debug("stream failed: %s: %s", type(exc).__name__, str(exc).splitlines()[:1])
    detail = public_message(str(exc))
    return SqlEngineError(f"the engine failed while streaming: {type(exc).__name__}: {detail}")


async def start_stream(
    runner: Engine,
    checked: Plan,
    *,
    max_rows: int,
    timeout_s: float,
    batch_rows: int,
    on_end: OnEnd,
    workers: StreamWorkers,
    max_row_bytes: int | None = None,
    on_idle: Callable[[], None] | None = None,
) -> ResultStream:
    """Start ``checked`` on ``runner`` and wait for its first batch (or its failure).

    ``workers`` read DuckDB streams (the federation owns and closes them);
    ``on_idle`` is called once, on the loop, when the stream no longer uses ``runner``.
    """
    try:
        pump = _open(
            runner, checked, timeout_s=timeout_s, batch_rows=batch_rows,
            workers=workers, on_idle=on_idle,
        )  # fmt: skip
    except BaseException:
        if on_idle is not None:
            on_idle()
        raise
    try:
        try:
            kind, item = await asyncio.wait_for(pump.next_item(), timeout_s)
        except TimeoutError:
            raise SqlTimeout(
                f"no row within {timeout_s:g}s (the query or a free worker)", engine=checked.engine
            ) from None
        if kind == "error":
            raise _coded(item)
        first: pa.RecordBatch | None = item if kind == "batch" else None
        if first is not None:
            # Refused before the first byte: a coded error, not a cut connection.
            check_batch_rows(first, max_row_bytes)
            schema = first.schema
        else:
            # DuckDB yields no batch for an empty result: ask it for the columns alone.
            none = await runner.execute(window(checked, 0, 0), timeout_s=timeout_s, max_rows=0)
            schema = pa.schema([(n, arrow_type(t)) for n, t in none.columns])
            pump = _Ended()
    except BaseException:
        pump.stop()
        raise
    return ResultStream(
        checked, schema, first, pump, max_rows=max_rows, on_end=on_end, max_row_bytes=max_row_bytes
    )


def _open(
    runner: Engine,
    checked: Plan,
    *,
    timeout_s: float,
    batch_rows: int,
    workers: StreamWorkers,
    on_idle: Callable[[], None] | None,
) -> _Pump:
    if isinstance(runner, TrinoEngine):
        stream = runner.stream(checked, timeout_s=timeout_s, batch_rows=batch_rows)
        return _Pump(stream, stream.cancel, runner.executor, on_idle)
    if isinstance(runner, DuckDBEngine):
        # DuckDB's generator ends its query when closed; the worker closes it at the next
        # batch once stopped, and the per-query deadline interrupts a long first batch.
        source = runner.stream_batches(checked, batch_rows, timeout_s=timeout_s)
        executor = workers.executor()
        holder: list[Callable[[], None]] = []

        def idle() -> None:
            holder[0]()  # forgotten by the workers: nothing to stop any more
            if on_idle is not None:
                on_idle()

        pump = _Pump(source, lambda: None, executor, None)
        holder.append(workers.track(pump.stop))
        pump._done.add_done_callback(lambda _: idle())
        return pump
    raise SqlEngineError(f"engine {runner.name} cannot stream", engine=runner.name)


class _Ended(_Pump):
    """The pump of a result that had no rows: already at its end."""

    def __init__(self) -> None:  # nothing runs
        self._stopped = threading.Event()
        self._cancel = lambda: None

    async def items(self) -> AsyncIterator[pa.RecordBatch]:
        return
        yield  # an async generator that yields nothing
