"""``/sql/stream``: the whole result of one SQL query as CSV, JSON lines or Arrow IPC.

The query goes through the same federation path as the graph's ``sql`` (planner, engine,
usage recorder), without the page row cap: only ``sql_stream_max_rows`` bounds it. Each
engine batch is written as it arrives, so the gateway holds a few batches at a time.
An error before the first byte answers JSON ``{"error": {"message", "code", ...}}`` with
its status; an error after it cuts the connection (the client sees an incomplete body).
A client that goes away cancels the engine's query.
"""

from __future__ import annotations

import abc
import io
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Send

from gateway.errors import BadRequest, GatewayError, Unauthenticated
from gateway.federation.notes import Note, lifecycle_notes
from gateway.federation.streaming import ResultStream
from gateway.http.refusal import refusal
from gateway.identity import principal_of, request_id_of
from gateway.values import json_form

log = logging.getLogger(__name__)

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "arrow": "application/vnd.apache.arrow.stream",
}


def sql_stream_routes() -> list[BaseRoute]:
    """The routes to add to the app: ``GET`` and ``POST /sql/stream``."""
    return [Route("/sql/stream", stream_sql, methods=["GET", "POST"])]


async def stream_sql(request: Request) -> Response:
    """Run the query in the request and stream its result in the asked format."""
    try:
        query, engine, fmt = await _arguments(request)
        principal = principal_of(request.scope)
        if principal.anonymous:
            raise Unauthenticated("/sql/stream needs a signed-in caller: a token or an API key")
        federation = request.app.state.services.federation
        stream: ResultStream = await federation.stream(
            query,
            engine=engine,
            caller=principal.subject,
            principal=principal,
            request_id=request_id_of(request.scope),
        )
    except GatewayError as exc:
        return refusal(exc, None, request.scope)
    encoder = ENCODERS[fmt](stream.schema)
    headers = {"X-Meshgate-Engine": stream.engine, "Cache-Control": "no-store"}
    days = request.app.state.services.settings.contract_lifecycle_warning_days
    notes = lifecycle_notes([u.table for u in stream.plan.tables], datetime.now(UTC), days)
    if notes:
        headers[WARNINGS_HEADER] = warnings_header(notes)
    return _CuttableResponse(_body(stream, encoder), media_type=MEDIA_TYPES[fmt], headers=headers)


WARNINGS_HEADER = "X-Meshgate-Warnings"
WARNINGS_MAX_BYTES = 4096
"""Longest warnings header: past it, the last notes give way to one that says so."""


def warnings_header(notes: list[Note]) -> str:
    """The notes as a JSON list (ASCII, so any header parser reads it) of ``code``,
    ``message`` and ``productId``, the same fields the graph's ``extensions.warnings`` has.

    >>> warnings_header([Note("END_OF_LIFE_PASSED", "contract c is past", "p")])
    '[{"code":"END_OF_LIFE_PASSED","message":"contract c is past","productId":"p"}]'
    """
    items = [
        {"code": n.code, "message": n.message[:300], "productId": n.product_id[:200]} for n in notes
    ]  # each clipped: a contract's id and version in a message are the product's words
    while True:
        text = json.dumps(items, separators=(",", ":"), ensure_ascii=True)
        if len(text) <= WARNINGS_MAX_BYTES or len(items) <= 1:
            return text
        kept = [i for i in items if i["code"] != "WARNINGS_TRUNCATED"][: len(items) // 2]
        left = len(notes) - len(kept)
        items = [*kept, {"code": "WARNINGS_TRUNCATED", "message": f"{left} more notes"}]


async def _arguments(request: Request) -> tuple[str, str | None, str]:
    if request.method == "POST":
        try:
            data = await request.json()
        except ValueError:
            raise BadRequest("the body must be a JSON object") from None
        if not isinstance(data, dict):
            raise BadRequest("the body must be a JSON object")
    else:
        data = dict(request.query_params)
    query, engine, fmt = data.get("query"), data.get("engine"), data.get("format", "csv")
    if not isinstance(query, str) or not query.strip():
        raise BadRequest("query: a SQL statement is required", argument="query")
    if engine is not None and not isinstance(engine, str):
        raise BadRequest("engine: expected duckdb or trino", argument="engine")
    if fmt not in MEDIA_TYPES:
        expected = ", ".join(MEDIA_TYPES)
        raise BadRequest(f"format: expected one of {expected}, got {fmt!r}", argument="format")
    return query, engine.lower() if engine else None, str(fmt)


class _CuttableResponse(StreamingResponse):
    """A stream whose body stops short, unterminated, when the query fails mid-way.

    The failure is already logged in one line by :func:`_body`; returning with the body
    incomplete makes the server close the connection (the client sees a truncated
    response), without an exception travelling up the server as an application fault.
    """

    async def stream_response(self, send: Send) -> None:
        try:
            await super().stream_response(send)
        except StreamCut:
            return


class StreamCut(Exception):
    """A failure after the first byte: the server drops the connection mid-body."""


async def _body(stream: ResultStream, encoder: _Encoder) -> AsyncIterator[bytes]:
    try:
        head = encoder.start()
        if head:
            yield head
        async for batch in stream.batches():
            chunk = encoder.batch(batch)
            if chunk:
                yield chunk
        tail = encoder.end()
        if tail:
            yield tail
    except GatewayError as exc:
        # Too late for a status: cutting the connection is how the client learns.
        log.warning("SQL stream cut after %d rows: %s %s", stream.rows, exc.code, exc.message)
        raise StreamCut(f"{exc.code}: {exc.message}") from exc
    finally:
        # After a full read, an error (the exception then cuts the connection) or the
        # client leaving (this generator is cancelled): stop the query, record it.
        await stream.aclose()


class _Encoder(abc.ABC):
    """Turns record batches into the bytes of one format; subclasses say how."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema

    def start(self) -> bytes:
        return b""

    @abc.abstractmethod
    def batch(self, batch: pa.RecordBatch) -> bytes: ...

    def end(self) -> bytes:
        return b""


class CsvEncoder(_Encoder):
    """RFC 4180 CSV with a header row; NULL is an empty field.

    Decimals are written with their exact digits (Arrow's decimal128 keeps them); a
    non-finite float is ``NaN``, ``Infinity`` or ``-Infinity``, the words of the JSON
    formats (``docs/values.md``), not Arrow's ``nan`` / ``inf``.
    """

    def start(self) -> bytes:
        sink = io.BytesIO()
        pa_csv.write_csv(self.schema.empty_table(), sink, pa_csv.WriteOptions(include_header=True))
        return sink.getvalue()

    def batch(self, batch: pa.RecordBatch) -> bytes:
        sink = io.BytesIO()
        table = pa.Table.from_batches([_finite_words(batch)])
        pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False))
        return sink.getvalue()


_WORDS = (
    (r"^nan$", json_form.NAN),
    (r"^inf$", json_form.INFINITY),
    (r"^-inf$", json_form.MINUS_INFINITY),
)


def _finite_words(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` with each float column holding a NaN or an infinity as text in our words
    (only those columns, only when they do: other batches are written as they come)."""
    columns = list(batch.columns)
    changed = False
    for i, column in enumerate(columns):
        if not pa.types.is_floating(column.type) or column.null_count == len(column):
            continue
        if pc.all(pc.is_finite(column), skip_nulls=True).as_py():
            continue
        text = pc.cast(column, pa.string())
        for pattern, word in _WORDS:
            text = pc.replace_substring_regex(text, pattern=pattern, replacement=word)
        columns[i], changed = text, True
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names) if changed else batch


class JsonLinesEncoder(_Encoder):
    """One strict JSON object per row, keyed by column name, values in the JSON form of
    :mod:`gateway.values.json_form` (exact decimals as strings, no bare NaN)."""

    def batch(self, batch: pa.RecordBatch) -> bytes:
        lines = [json_form.dumps(row) for row in batch.to_pylist()]
        return ("\n".join(lines) + "\n").encode() if lines else b""


class ArrowEncoder(_Encoder):
    """The Arrow IPC streaming format: the schema message, then one message per batch."""

    def __init__(self, schema: pa.Schema) -> None:
        super().__init__(schema)
        self._sink = io.BytesIO()
        self._writer = pa.ipc.new_stream(self._sink, schema)

    def _take(self) -> bytes:
        data = self._sink.getvalue()
        self._sink.seek(0)
        self._sink.truncate()
        return data

    def start(self) -> bytes:
        return self._take()

    def batch(self, batch: pa.RecordBatch) -> bytes:
        self._writer.write_batch(batch)
        return self._take()

    def end(self) -> bytes:
        self._writer.close()
        return self._take()


ENCODERS: dict[str, Callable[[pa.Schema], _Encoder]] = {
    "csv": CsvEncoder,
    "jsonl": JsonLinesEncoder,
    "arrow": ArrowEncoder,
}
