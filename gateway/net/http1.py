"""One HTTP/1.1 connection to a product gateway: a request written, its answer parsed.

An asyncio protocol whose bytes go to httptools (llhttp, the parser uvicorn serves
with): the connection under :class:`gateway.net.document_transport.DocumentTransport`.
It does one exchange at a time and nothing else: no pipelining, no upgrade, no
redirects (a 3xx is an answer like any other). What it receives before a request is
written, or after an answer that does not keep the connection alive, closes it.

The body is handed out chunk by chunk as it arrives; past :data:`HIGH_WATER` bytes not
yet taken, the socket is not read until the reader catches up, so a product cannot make
the gateway buffer more than that whatever it sends (the reader stops at its own cap).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import cast

import httptools

HIGH_WATER = 256 * 1024
"""Body bytes received and not yet taken past which the socket is not read."""
LOW_WATER = 64 * 1024
"""Body bytes not yet taken under which reading resumes."""

Head = tuple[int, list[tuple[bytes, bytes]]]
"""An answer's status and header lines."""


class ConnectionEnded(Exception):
    """The connection closed (or broke) before the answer was whole."""


class AnswerMalformed(Exception):
    """The product's bytes are not an HTTP/1.1 answer."""


class Http1Connection(asyncio.Protocol):
    """One connection; :meth:`send` a request head, then :meth:`chunk` until ``None``."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._in_flight = False
        self._head: asyncio.Future[Head] | None = None
        self._headers: list[tuple[bytes, bytes]] = []
        self._interim = False  # a 1xx answer, skipped
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._complete = False
        self._keep_alive = False
        self._surplus = False  # bytes after the answer: never reused
        self._error: Exception | None = None
        self.closed = False
        self.received = False  # a byte of the current answer arrived
        self.idle_since = 0.0

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if not self._in_flight or self._complete:
            self.close()  # nothing was asked: a product talking out of turn
            return
        self.received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(AnswerMalformed("the product answered with a protocol upgrade"))
        except httptools.HttpParserError as exc:
            self._fail(AnswerMalformed(f"not an HTTP/1.1 answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self._in_flight or self._complete or self._error is not None:
            return
        if self._head is not None and self._head.done() and self._until_close():
            self._complete = True  # a body with neither length nor chunks ends with the socket
            self._wake()
            return
        self._fail(ConnectionEnded("the product closed the connection before its answer"))

    # -- httptools callbacks (after a whole answer, a second one is ignored)

    def on_message_begin(self) -> None:
        if self._complete:
            self._surplus = True

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._surplus:
            self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self._surplus:
            return
        status = self._parser.get_status_code()
        if 100 <= status < 200:
            self._interim = True
            return
        if self._head is not None and not self._head.done():
            self._head.set_result((status, self._headers))

    def on_body(self, body: bytes) -> None:
        if self._surplus:
            return
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > HIGH_WATER and not self._paused and self._transport is not None:
            self._paused = True
            self._transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self._surplus:
            return
        if self._interim:  # the real answer follows
            self._interim = False
            self._headers = []
            return
        self._keep_alive = self._parser.should_keep_alive()
        self._complete = True
        self._wake()

    # -- the exchange

    async def send(self, head: bytes) -> Head:
        """Write a request head (no body); the answer's status and headers."""
        if self.closed or self._transport is None:
            raise ConnectionEnded("the connection is closed")
        self._in_flight = True
        self._complete = False
        self._keep_alive = False
        self._surplus = False
        self._headers = []
        self._chunks.clear()
        self._buffered = 0
        self.received = False
        self._head = self._loop.create_future()
        self._transport.write(head)
        return await self._head

    async def chunk(self) -> bytes | None:
        """The next piece of the body, or ``None`` once it is whole."""
        while not self._chunks:
            if self._error is not None:
                raise self._error
            if self._complete:
                return None
            self._waiter = self._loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        data = self._chunks.popleft()
        self._buffered -= len(data)
        if self._paused and self._buffered < LOW_WATER and self._transport is not None:
            self._paused = False
            self._transport.resume_reading()
        return data

    def finish(self) -> bool:
        """End the exchange; whether the connection may carry another one."""
        reusable = (
            self._complete
            and self._keep_alive
            and not self._surplus
            and not self.closed
            and self._error is None
        )
        self._in_flight = False
        self._head = None
        if not reusable:
            self.close()
        else:
            self.idle_since = self._loop.time()
        return reusable

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    # -- helpers

    def _fail(self, error: Exception) -> None:
        self._error = error
        if self._head is not None and not self._head.done():
            self._head.set_exception(error)
        self._wake()
        self.close()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _until_close(self) -> bool:
        """Whether the answer's body runs until the connection closes (RFC 9112 6.3)."""
        names = {name.lower() for name, _ in self._headers}
        return b"content-length" not in names and b"transfer-encoding" not in names
