"""Outbound requests go only where the operator allows, under one deadline (issue 6, hole 3).

Each test plays a hostile product against real servers on 127.0.0.x: the client may call
only 127.0.0.1 (as the demo and the tests allow), and the servers count every connection,
so "refused" means "nothing was sent".
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from gateway.errors import UpstreamAddressRefused, UpstreamTimeout
from gateway.settings import Settings
from gateway.upstream import (
    AddressPolicy,
    DocumentClient,
    create_http_client,
    fetch_json,
    guarded_client,
)
from tests.fixtures.uvicorn import LOOPBACK_ONLY

DOC = b'{"ok": true}'


class Server:
    """A raw HTTP server on ``host`` that counts connections; ``drip`` sends the body
    one byte every ``drip`` seconds (each byte well inside any read timeout)."""

    def __init__(self, drip: float | None = None) -> None:
        self.connections = 0
        self.hosts: list[str] = []
        self.drip = drip
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        head = await reader.readuntil(b"\r\n\r\n")
        for line in head.decode().split("\r\n"):
            if line.lower().startswith("host:"):
                self.hosts.append(line.split(":", 1)[1].strip())
        body = DOC if self.drip is None else b" " * 1000
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(body)}\r\n\r\n".encode()
        )
        try:
            if self.drip is None:
                writer.write(body)
            else:
                for byte in body:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(self.drip)
            await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def serving(server: Server, host: str = "127.0.0.1") -> AsyncIterator[Server]:
    listener = await asyncio.start_server(server.handle, host, 0)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()


def loopback_client(**kw: float) -> httpx.AsyncClient:
    return create_http_client(Settings(upstream_allowed_networks=LOOPBACK_ONLY, **kw))


async def test_the_allowed_address_is_called() -> None:
    async with serving(Server()) as server, loopback_client() as http:
        url = f"http://127.0.0.1:{server.port}/doc"
        assert await fetch_json(http, url, what="product gateway", max_bytes=100) == {"ok": True}
    assert server.connections == 1


@pytest.mark.parametrize("host", ["127.0.0.2", "localhost-by-ip"])
async def test_an_address_outside_the_allowed_networks_is_not_called(host: str) -> None:
    """Only 127.0.0.1/32 is allowed: 127.0.0.2 (also loopback) is refused, unsent."""
    async with serving(Server(), "127.0.0.2") as server, loopback_client() as http:
        target = "127.0.0.2" if host == "127.0.0.2" else "[::ffff:127.0.0.2]"
        url = f"http://{target}:{server.port}/doc"
        with pytest.raises(UpstreamAddressRefused) as raised:
            await fetch_json(http, url, what="product gateway", max_bytes=100, product_id="p")
    assert server.connections == 0
    assert raised.value.code == "UPSTREAM_ADDRESS_REFUSED"
    assert "127.0.0" not in raised.value.message and str(server.port) not in raised.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://10.0.0.1/discover/metadata",
        "http://[fd00::1]:8080/",
        "http://[::ffff:169.254.169.254]/",
        "http://localhost:1/",
    ],
)
async def test_default_settings_refuse_internal_addresses_before_connecting(url: str) -> None:
    """With the defaults (public addresses only) nothing is even attempted: no connect
    timeout is waited for (10.0.0.1 and 169.254.169.254 would not answer here)."""
    started = time.monotonic()
    async with create_http_client(Settings(upstream_connect_timeout=5.0)) as http:
        with pytest.raises(UpstreamAddressRefused):
            await fetch_json(http, url, what="product gateway", max_bytes=100)
    assert time.monotonic() - started < 1.0


# Both clients of the gateway: the one reading product documents and the one the
# webhooks, OpenLineage and the product kit call with.
CLIENTS = pytest.mark.parametrize("make_client", [DocumentClient, guarded_client])


@CLIENTS
async def test_every_resolved_address_must_be_allowed(make_client: Callable[..., Any]) -> None:
    """A name that resolves to an allowed and a refused address is refused as a whole."""

    async def two_answers(host: str, port: int) -> list[str]:
        return ["127.0.0.1", "169.254.169.254"]

    policy = AddressPolicy.of(LOOPBACK_ONLY)
    async with (
        serving(Server()) as server,
        make_client(policy, timeout=httpx.Timeout(2.0), resolver=two_answers) as http,
    ):
        with pytest.raises(UpstreamAddressRefused):
            await http.get(f"http://product.example:{server.port}/doc")
    assert server.connections == 0


@CLIENTS
async def test_the_connection_goes_to_the_checked_address_under_the_name(
    make_client: Callable[..., Any],
) -> None:
    """The name is resolved once (here by a resolver that answers differently on each
    call, as a rebinding DNS server would) and the socket opened to the address that was
    checked; the request still carries the name in its Host header."""
    answers = [["127.0.0.1"], ["169.254.169.254"]]
    calls: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[min(len(calls) - 1, 1)]

    policy = AddressPolicy.of(LOOPBACK_ONLY)
    async with (
        serving(Server()) as server,
        make_client(policy, timeout=httpx.Timeout(2.0), resolver=rebinding) as http,
    ):
        answer = await http.get(f"http://product.rebind.test:{server.port}/doc")
    assert answer.json() == {"ok": True}
    assert calls == ["product.rebind.test"]
    assert server.hosts == [f"product.rebind.test:{server.port}"]


async def test_a_dripping_server_is_cut_at_the_total_deadline() -> None:
    """One byte every 0.2 s never trips the 3 s read timeout; the 1 s deadline cuts it."""
    async with serving(Server(drip=0.2)) as server, loopback_client() as http:
        started = time.monotonic()
        with pytest.raises(UpstreamTimeout) as raised:
            await fetch_json(
                http,
                f"http://127.0.0.1:{server.port}/doc",
                what="product gateway",
                max_bytes=10_000,
                deadline=1.0,
            )
        elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 2.0
    assert raised.value.message == "product gateway did not answer in time"
