"""Hands each recorded query to a lineage sink without ever making the query wait.

The query path only puts the record on a bounded queue (no I/O, no await); one
background task builds the events and sends them. When the queue is full (a sink that is
slow or down), the record is dropped, counted and logged, never waited for. On close the
queue is drained within a deadline; whatever is left then is counted as dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from gateway.cancelled import stop_if_cancelled
from gateway.federation.records import QueryRecord
from gateway.net.addresses import AddressPolicy
from gateway.openlineage.events import query_run, to_json
from gateway.openlineage.sinks import FileSink, HttpSink, LineageSinkError, Sink
from gateway.settings import InvalidSetting, Settings

log = logging.getLogger(__name__)

SINKS = ("none", "file", "http")

_DROP_LOG_EVERY = 1000  # after the first drop of a burst, one warning per this many


class LineageEmitter:
    """A bounded queue of queries to emit, drained by one task (:meth:`start`)."""

    def __init__(self, sink: Sink, *, namespace: str, queue_size: int, flush_s: float) -> None:
        self.sink = sink
        self.namespace = namespace
        self.dropped = 0  # queries whose events were never sent: queue full or closed
        self.failed = 0  # events the sink refused or lost
        self.sent = 0  # events the sink took
        self._flush_s = flush_s
        self._queue: asyncio.Queue[QueryRecord] = asyncio.Queue(maxsize=queue_size)
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def start(self) -> None:
        """Start the task that drains the queue (on the running event loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._drain(), name="openlineage-emitter"
            )

    def emit(self, entry: QueryRecord) -> None:
        """Queue ``entry``'s events; never blocks, never raises."""
        if self._closed:
            self._drop("the emitter is closed")
            return
        try:
            self._queue.put_nowait(entry)
        except asyncio.QueueFull:
            self._drop("the queue is full (the sink is slow or down)")

    def _drop(self, why: str) -> None:
        self.dropped += 1
        if self.dropped == 1 or self.dropped % _DROP_LOG_EVERY == 0:
            log.warning("OpenLineage events dropped: %s (%d dropped so far)", why, self.dropped)

    async def _drain(self) -> None:
        while True:
            entry = await self._queue.get()
            try:
                await self._send(entry)
            finally:
                self._queue.task_done()
            stop_if_cancelled()

    async def _send(self, entry: QueryRecord) -> None:
        try:
            # Off the event loop: the column lineage walks the statement with sqlglot.
            lines = await asyncio.to_thread(self._lines, entry)
        except Exception:  # a record the models refuse must not stop the emitter
            log.exception("building the OpenLineage events of a query failed")
            self.failed += 2
            return
        for line in lines:
            try:
                await self.sink.send(line)
                self.sent += 1
            except LineageSinkError as exc:
                self.failed += 1
                log.warning("an OpenLineage event was not delivered: %s", exc)
            except Exception:
                self.failed += 1
                log.exception("an OpenLineage sink failed")

    def _lines(self, entry: QueryRecord) -> tuple[str, str]:
        run = query_run(entry, namespace=self.namespace)
        return to_json(run.start), to_json(run.end)

    async def close(self) -> None:
        """Send what is queued (within the flush deadline), then stop and close the sink."""
        self._closed = True
        if self._task is not None:
            try:
                async with asyncio.timeout(self._flush_s):
                    await self._queue.join()
            except TimeoutError:
                log.warning("OpenLineage flush did not finish in %.1f s", self._flush_s)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        left = self._queue.qsize()
        if left:
            self.dropped += left
            log.warning("OpenLineage: %d queued queries not sent at shutdown", left)
        await self.sink.close()


def create_emitter(settings: Settings) -> LineageEmitter | None:
    """The emitter ``settings`` ask for, or ``None`` when lineage events are off."""
    kind = settings.openlineage_sink.lower()
    if kind not in SINKS:
        raise InvalidSetting(
            f"MESHGATE_OPENLINEAGE_SINK={settings.openlineage_sink!r}: expected one of "
            + ", ".join(SINKS)
        )
    sink: Sink
    if kind == "none":
        return None
    if kind == "file":
        if not settings.openlineage_file:
            raise InvalidSetting("MESHGATE_OPENLINEAGE_FILE: required when the sink is file")
        sink = FileSink(settings.openlineage_file, max_bytes=settings.openlineage_file_max_bytes)
    else:
        if not settings.openlineage_url.startswith(("http://", "https://")):
            raise InvalidSetting(
                "MESHGATE_OPENLINEAGE_URL: an http(s) URL is required when the sink is http"
            )
        sink = HttpSink(
            settings.openlineage_url,
            policy=AddressPolicy.of(settings.openlineage_allowed_networks),
            timeout_s=settings.openlineage_timeout_seconds,
        )
    return LineageEmitter(
        sink,
        namespace=settings.openlineage_namespace,
        queue_size=settings.openlineage_queue_size,
        flush_s=settings.openlineage_timeout_seconds,
    )
