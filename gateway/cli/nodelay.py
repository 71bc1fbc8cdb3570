"""uvicorn's HTTP protocol (httptools) with Nagle's algorithm off on every connection.

asyncio turns Nagle off (``TCP_NODELAY``) only on a socket that says it is TCP
(``proto == IPPROTO_TCP``). With ``--workers N`` uvicorn binds the listening socket itself
and leaves its ``proto`` at 0; every accepted socket inherits that, so Nagle stayed on
(uvicorn issue 3149, open in 0.54.0). An answer is written in two parts, its head and
then its body; with Nagle on, the body waits for the client's ACK of the head, and Linux
delays that ACK up to 40 ms. Every request after a connection's first then took some
44 ms: two worker processes answered 179 req/s where one answered 4,561. One process is
not affected (asyncio binds it from ``getaddrinfo``, which says TCP), and setting the
option again there costs one system call per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

PROTOCOL = f"{__name__}:NoDelayHttpTools"
"""What ``uvicorn.run(http=...)`` is given: a worker imports it by this name."""

_TCP = (socket.AF_INET, socket.AF_INET6)


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    """Turn Nagle's algorithm off on ``transport``'s socket when it is TCP."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in _TCP and sock.type == socket.SOCK_STREAM:
        with contextlib.suppress(OSError):  # a connection already reset: nothing to send
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, each connection's socket with ``TCP_NODELAY``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)
