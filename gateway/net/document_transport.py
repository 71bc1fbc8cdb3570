"""The httpx transport the gateway reads product documents through (issue 10).

httpx's own transport (httpcore on anyio) spent most of the gateway's CPU on the no-cache
path: its pool's locks, cancel scopes and connection scans cost more than the read
itself (docs/benchmarks.md, "The HTTP client under concurrency"). The gateway only ever
GETs small JSON documents from product gateways, so this transport does just that, on
asyncio directly: a pool of idle keep-alive connections per origin, each an
:class:`~gateway.net.http1.Http1Connection` parsed by httptools.

What it keeps from the guarded transport (:mod:`gateway.net.transport`): every
connection goes to an address checked by :mod:`gateway.net.guard` (resolved once, all
addresses allowed, DNS rebinding cannot swap one in), TLS verified against the host name,
no proxy, no redirect (httpx's client follows none). Its limits are httpx's
(:class:`httpx.Limits`: connections in use at most, idle ones kept, their expiry) and
its timeouts the request's (connect, read, pool), raised as httpx's exceptions, so
callers see what they saw before.

A GET on a kept connection that the product closed in the meantime (the race of its
keep-alive timeout against the next request) is sent once more on a new connection when
nothing of the answer had arrived: a GET may be repeated.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import AsyncIterator, Awaitable
from typing import NamedTuple, TypeVar

import httpx

from gateway.net.addresses import AddressPolicy
from gateway.net.guard import Resolver, Unresolved, checked_addresses, system_resolver
from gateway.net.http1 import AnswerMalformed, ConnectionEnded, Http1Connection

Origin = tuple[str, str, int]  # scheme, host, port
Timeouts = dict[str, float | None]  # connect, read, pool: httpx's request extension


class Reading(NamedTuple):
    """An answer read whole: its status, header lines and body (None: over the limit)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes | None


_DEFAULT_PORTS = {"http": 80, "https": 443}
_LINE_BREAK = re.compile(rb"[\r\n\0]")
T = TypeVar("T")


class DocumentTransport(httpx.AsyncBaseTransport):
    """GET over HTTP/1.1 to addresses ``policy`` allows, pooled per origin."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        limits: httpx.Limits | None = None,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        limits = limits or httpx.Limits()
        self._policy = policy
        self._resolver = resolver or system_resolver
        self._ssl = ssl_context
        self._keep = limits.max_keepalive_connections
        self._expiry = limits.keepalive_expiry
        most = limits.max_connections
        self._slots = asyncio.Semaphore(most) if most else None
        self._idle: dict[Origin, list[Http1Connection]] = {}
        self._idle_count = 0
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            raise httpx.UnsupportedProtocol("the document client only reads documents (GET)")
        origin = origin_of(request.url)
        timeouts = request.extensions.get("timeout", {})
        head = request_head(request)
        connection, status, headers = await self._begin(origin, head, timeouts)
        body = _Body(self, origin, connection, timeouts.get("read"))
        return httpx.Response(
            status, headers=headers, stream=body, extensions={"http_version": b"HTTP/1.1"}
        )

    async def read(
        self, origin: Origin, head: bytes, timeouts: Timeouts, limit: int, error_limit: int
    ) -> Reading:
        """The answer to a prepared request head, its body read here: at most ``limit``
        bytes of a 200 answer, ``error_limit`` of any other (``body`` None past that).

        What :class:`gateway.net.document_client.DocumentClient` reads through, without
        building httpx's request and response objects; the failures are httpx's."""
        connection, status, headers = await self._begin(origin, head, timeouts)
        try:
            cap = limit if status == 200 else error_limit
            chunks: list[bytes] = []
            size = 0
            body: bytes | None = None
            async for data in _pieces(connection, timeouts.get("read")):
                size += len(data)
                if size > cap:
                    break
                chunks.append(data)
            else:
                body = b"".join(chunks)
        finally:
            self._release(origin, connection)
        return Reading(status, headers, body)

    async def aclose(self) -> None:
        self._closed = True
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
        self._idle_count = 0

    # -- connections

    async def _begin(
        self, origin: Origin, head: bytes, timeouts: Timeouts
    ) -> tuple[Http1Connection, int, list[tuple[bytes, bytes]]]:
        """A connection in use (a slot taken until :meth:`_release`) and its answer's head."""
        if self._closed:
            raise RuntimeError("the transport is closed")
        await self._take_slot(timeouts.get("pool"))
        try:
            return await self._exchange(origin, head, timeouts)
        except BaseException:
            self._give_slot()
            raise

    async def _exchange(
        self, origin: Origin, head: bytes, timeouts: Timeouts
    ) -> tuple[Http1Connection, int, list[tuple[bytes, bytes]]]:
        kept = self._kept(origin)
        for connection in (kept, None):
            if connection is None:
                connection = await self._connect(origin, timeouts.get("connect"))
            try:
                status, headers = await _within(timeouts.get("read"), connection.send(head))
            except ConnectionEnded as exc:
                connection.close()
                if connection is not kept or connection.received:
                    raise httpx.RemoteProtocolError(str(exc)) from None
                # closed while it was kept: once more, on a new connection
            except BaseException:
                connection.close()
                raise
            else:
                return connection, status, headers
        raise AssertionError("unreachable: the new connection answers or raises")

    def _kept(self, origin: Origin) -> Http1Connection | None:
        """An idle connection to ``origin`` still open and within its expiry."""
        connections = self._idle.get(origin)
        now = asyncio.get_running_loop().time()
        while connections:
            connection = connections.pop()
            self._idle_count -= 1
            expired = self._expiry is not None and now - connection.idle_since > self._expiry
            if not connection.closed and not expired:
                return connection
            connection.close()
        return None

    async def _connect(self, origin: Origin, timeout: float | None) -> Http1Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        tls = self._ssl_context() if scheme == "https" else None
        try:
            async with asyncio.timeout(timeout):
                addresses = await checked_addresses(self._policy, self._resolver, host, port)
                failure: OSError | None = None
                for address in addresses:
                    try:
                        _, connection = await loop.create_connection(
                            Http1Connection, address, port,
                            ssl=tls, server_hostname=host if tls is not None else None,
                        )  # fmt: skip
                    except OSError as exc:  # refused, unreachable, a bad certificate
                        failure = exc
                    else:
                        return connection
                raise httpx.ConnectError(f"cannot connect to {host}:{port}: {failure}")
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from None
        except Unresolved as exc:
            raise httpx.ConnectError(str(exc)) from None

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context(trust_env=False)
        return self._ssl

    def _release(self, origin: Origin, connection: Http1Connection) -> None:
        """The exchange on ``connection`` is over: keep it for the next, or close it."""
        if connection.finish():
            if self._closed or (self._keep is not None and self._idle_count >= self._keep):
                connection.close()
            else:
                self._idle.setdefault(origin, []).append(connection)
                self._idle_count += 1
        self._give_slot()

    async def _take_slot(self, timeout: float | None) -> None:
        if self._slots is None:
            return
        try:
            async with asyncio.timeout(timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no connection to a product gateway was free in time") from None

    def _give_slot(self) -> None:
        if self._slots is not None:
            self._slots.release()


class _Body(httpx.AsyncByteStream):
    """An answer's body; closing it gives its connection back (or closes it)."""

    def __init__(
        self,
        transport: DocumentTransport,
        origin: Origin,
        connection: Http1Connection,
        read_timeout: float | None,
    ) -> None:
        self._transport = transport
        self._origin = origin
        self._connection: Http1Connection | None = connection  # None once given back
        self._timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self._connection is not None:
            async for data in _pieces(self._connection, self._timeout):
                yield data

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._transport._release(self._origin, connection)


async def _pieces(connection: Http1Connection, timeout: float | None) -> AsyncIterator[bytes]:
    """The body's pieces as they come, each within ``timeout``; failures as httpx's."""
    while True:
        try:
            data = await _within(timeout, connection.chunk())
        except ConnectionEnded as exc:
            raise httpx.RemoteProtocolError(str(exc)) from None
        if data is None:
            return
        yield data


async def _within(timeout: float | None, step: Awaitable[T]) -> T:
    """``await step`` within ``timeout`` seconds; a timeout or a malformed answer as
    httpx's exceptions (:class:`ConnectionEnded` is left to the caller)."""
    try:
        async with asyncio.timeout(timeout):
            return await step
    except TimeoutError:
        raise httpx.ReadTimeout("the product gateway did not answer in time") from None
    except AnswerMalformed as exc:
        raise httpx.RemoteProtocolError(str(exc)) from None


def origin_of(url: httpx.URL) -> Origin:
    """The (scheme, host, port) a request to ``url`` connects to."""
    if url.scheme not in _DEFAULT_PORTS:
        raise httpx.UnsupportedProtocol(f"the URL scheme {url.scheme!r} is not HTTP")
    return (url.scheme, url.host, url.port or _DEFAULT_PORTS[url.scheme])


def request_head(request: httpx.Request) -> bytes:
    """The request line and headers, refused when any would break a line."""
    target = request.url.raw_path
    fields = request.headers.raw
    if _LINE_BREAK.search(b" ".join([target, *(part for field in fields for part in field)])):
        raise httpx.LocalProtocolError("a request line or header carries a line break")
    lines = [request.method.encode("ascii"), b" ", target, b" HTTP/1.1\r\n"]
    for name, value in fields:
        lines += [name, b": ", value, b"\r\n"]
    lines.append(b"\r\n")
    return b"".join(lines)
