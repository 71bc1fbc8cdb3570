"""An httpx transport that connects only to addresses an :class:`AddressPolicy` allows.

The check (:mod:`gateway.net.guard`) sits in the network backend, the one place where a
host name becomes a socket: the socket is opened to one of the checked addresses, and
nothing resolves the name again. The URL is untouched, so the ``Host`` header, TLS SNI
and certificate checks still use the host name. The gateway's reads of product
documents go through :mod:`gateway.net.document_transport`; this transport serves the
other clients (webhooks, OpenLineage, the product kit's own calls).

Proxies from the environment are ignored (``trust_env=False``): through a proxy the
checked address would be the proxy's, not the product's.
"""

from __future__ import annotations

import select
import socket
import ssl
import typing

import anyio
import httpcore
import httpx

from gateway.errors import UpstreamAddressRefused
from gateway.net.addresses import AddressPolicy
from gateway.net.guard import (
    REFUSED_MESSAGE,
    Resolver,
    Unresolved,
    checked_addresses,
    system_resolver,
)

__all__ = ["GuardedBackend", "GuardedTransport", "Resolver", "guarded_client", "system_resolver"]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """A network backend that resolves, checks, then connects to the checked address."""

    def __init__(
        self,
        policy: AddressPolicy,
        inner: httpcore.AsyncNetworkBackend | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        self.policy = policy
        self._inner = inner or httpcore.AnyIOBackend()
        self._resolver = resolver or system_resolver

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._resolve(host, port, timeout)
        last: Exception | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
            else:
                return SocketKnownStream(stream)
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UpstreamAddressRefused(REFUSED_MESSAGE)  # never used for product gateways

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        try:
            with anyio.fail_after(timeout):
                return await checked_addresses(self.policy, self._resolver, host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except Unresolved as exc:
            raise httpcore.ConnectError(str(exc)) from None


class SocketKnownStream(httpcore.AsyncNetworkStream):
    """A connection's stream that knows its socket without asking for it again.

    The pool asks every pooled connection whether its socket is readable (whether the
    product closed it) each time it hands out a request, and anyio finds the socket by
    building a table of all the stream's attributes: with a few dozen connections
    pooled, that lookup was the largest part of the pool's CPU per request
    (bench/http_clients.py). Everything else goes to the stream as it is.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return SocketKnownStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "socket":
            return self._socket
        if info == "is_readable":  # idle and readable: the product closed it
            return _readable(self._socket)
        return self._inner.get_extra_info(info)


def _readable(sock: socket.socket | None) -> bool:
    """Whether a read on ``sock`` would return at once (a closed socket counts)."""
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return True
    poll = select.poll()
    poll.register(fd, select.POLLIN)
    return bool(poll.poll(0))


class GuardedTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` whose connections go through :class:`GuardedBackend`."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        limits: httpx.Limits | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        limits = limits or httpx.Limits()
        super().__init__(limits=limits, trust_env=False)
        # httpx builds its pool without a way to pass a network backend; build the same
        # pool (TLS verified with the default CA bundle, HTTP/1.1) with ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=GuardedBackend(policy, resolver=resolver),
        )


def guarded_client(
    policy: AddressPolicy,
    *,
    timeout: httpx.Timeout,
    limits: httpx.Limits | None = None,
    headers: dict[str, str] | None = None,
    resolver: Resolver | None = None,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` that calls only addresses ``policy`` allows, no redirects.

    ``resolver`` replaces the system's (tests use it to play a DNS server).
    """
    return httpx.AsyncClient(
        transport=GuardedTransport(policy, limits=limits, resolver=resolver),
        timeout=timeout,
        headers=headers,
        follow_redirects=False,
        trust_env=False,
    )
