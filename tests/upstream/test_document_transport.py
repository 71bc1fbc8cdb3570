"""The gateway's document client over raw servers that misbehave on purpose (issue 10).

:class:`gateway.net.document_transport.DocumentTransport` replaced httpcore under the
client that reads product documents. Each test plays one way a product's server can
answer (kept connections, chunks, bodies that run to the close, a second answer smuggled
after the first, connections closed under the client, endless bodies) against a real
socket on 127.0.0.1, counting what reaches the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from gateway.net.addresses import AddressPolicy
from gateway.net.document_transport import DocumentTransport
from gateway.settings import Settings
from gateway.upstream import DocumentClient, create_http_client, fetch_json
from gateway.upstream.read import NoDocument
from tests.fixtures.uvicorn import LOOPBACK_ONLY

DOC = b'{"ok": true}'
Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter


def answer(body: bytes = DOC, *, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + f"content-length: {len(body)}\r\n".encode() + extra + b"\r\n" + body
    )  # fmt: skip


class Raw:
    """A server whose every connection runs ``script(n, reader, writer)`` (n counts
    connections from 1); it records each request head it reads."""

    def __init__(self, script: Callable[[int, Reader, Writer], Awaitable[None]]) -> None:
        self.script = script
        self.connections = 0
        self.requests: list[bytes] = []
        self.open = 0
        self.most_open = 0

    async def head(self, reader: Reader) -> bytes | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        self.requests.append(head)
        return head

    async def handle(self, reader: Reader, writer: Writer) -> None:
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            await self.script(self.connections, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open -= 1
            writer.close()


@contextlib.asynccontextmanager
async def serving(raw: Raw, tls: ssl.SSLContext | None = None) -> AsyncIterator[str]:
    listener = await asyncio.start_server(raw.handle, "127.0.0.1", 0, ssl=tls)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        listener.close()


def client(**kw: float) -> httpx.AsyncClient:
    return create_http_client(Settings(upstream_allowed_networks=LOOPBACK_ONLY, **kw))


async def read(http: httpx.AsyncClient, url: str, max_bytes: int = 10_000) -> object:
    return await fetch_json(http, url, what="product gateway", max_bytes=max_bytes)


def keep_alive(raw: Raw) -> Callable[[int, Reader, Writer], Awaitable[None]]:
    async def script(n: int, reader: Reader, writer: Writer) -> None:
        while await raw.head(reader) is not None:
            writer.write(answer())
            await writer.drain()

    return script


async def test_one_connection_carries_the_reads_that_follow_each_other() -> None:
    raw = Raw(lambda n, r, w: keep_alive(raw)(n, r, w))
    async with serving(raw) as base, client() as http:
        for _ in range(5):
            assert await read(http, f"{base}/doc") == {"ok": True}
    assert raw.connections == 1 and len(raw.requests) == 5


async def test_chunked_and_close_delimited_bodies_are_read_whole() -> None:
    async def script(n: int, reader: Reader, writer: Writer) -> None:
        await raw.head(reader)
        if n == 1:
            writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            for piece in (b'{"a"', b": [1, 2", b", 3]}"):
                writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                await writer.drain()
                await asyncio.sleep(0.01)
            writer.write(b"0\r\n\r\n")
        else:  # neither length nor chunks: the body ends when the server closes
            writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n" + DOC)
        await writer.drain()

    raw = Raw(script)
    async with serving(raw) as base, client() as http:
        assert await read(http, f"{base}/chunked") == {"a": [1, 2, 3]}
        assert await read(http, f"{base}/until-close") == {"ok": True}


async def test_a_kept_connection_closed_by_the_product_is_read_again_on_a_new_one() -> None:
    """The product's keep-alive timeout fires as the next request leaves: the first
    connection takes that request and closes unanswered; the GET goes once more."""

    async def script(n: int, reader: Reader, writer: Writer) -> None:
        await raw.head(reader)
        writer.write(answer())
        await writer.drain()
        if n == 1:
            await raw.head(reader)  # the second request: read, never answered

    raw = Raw(script)
    async with serving(raw) as base, client() as http:
        assert await read(http, f"{base}/1") == {"ok": True}
        assert await read(http, f"{base}/2") == {"ok": True}
    assert raw.connections == 2
    assert [r.split(b" ")[1] for r in raw.requests] == [b"/1", b"/2", b"/2"]


async def test_a_product_that_closes_every_fresh_connection_unanswered_is_not_retried() -> None:
    async def script(n: int, reader: Reader, writer: Writer) -> None:
        await raw.head(reader)

    raw = Raw(script)
    async with serving(raw) as base, client() as http:
        with pytest.raises(NoDocument):
            await read(http, f"{base}/doc")
    assert raw.connections == 1


async def test_a_second_answer_smuggled_after_the_first_is_never_read() -> None:
    """Two answers in one write: the first is the body; the connection is not kept, so
    the second can never pass for the answer to the next request."""
    smuggled = answer(b'{"secret": 1}')

    async def script(n: int, reader: Reader, writer: Writer) -> None:
        await raw.head(reader)
        writer.write(answer() + smuggled if n == 1 else answer(b'{"n": 2}'))
        await writer.drain()
        await raw.head(reader)

    raw = Raw(script)
    async with serving(raw) as base, client() as http:
        assert await read(http, f"{base}/1") == {"ok": True}
        assert await read(http, f"{base}/2") == {"n": 2}
    assert raw.connections == 2


async def test_an_endless_body_is_cut_at_the_cap_and_its_connection_dropped() -> None:
    sent: list[int] = []

    async def script(n: int, reader: Reader, writer: Writer) -> None:
        await raw.head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1000000000\r\n\r\n")
        total = 0
        with contextlib.suppress(ConnectionError):
            while total < 1_000_000_000:
                writer.write(b"[" * 65536)
                await writer.drain()
                total += 65536
        sent.append(total)

    raw = Raw(script)
    async with serving(raw) as base, client() as http:
        with pytest.raises(NoDocument):
            await read(http, f"{base}/doc", max_bytes=100_000)
        for _ in range(100):
            if sent:
                break
            await asyncio.sleep(0.05)
    assert sent and sent[0] < 50_000_000  # the client closed; the server stopped early


async def test_connections_in_use_are_bounded_by_the_limit() -> None:
    async def script(n: int, reader: Reader, writer: Writer) -> None:
        while await raw.head(reader) is not None:
            await asyncio.sleep(0.1)
            writer.write(answer())
            await writer.drain()

    raw = Raw(script)
    async with serving(raw) as base, client(upstream_max_connections=2) as http:
        found = await asyncio.gather(*(read(http, f"{base}/{i}") for i in range(6)))
    assert found == [{"ok": True}] * 6
    assert raw.most_open == 2 and raw.connections == 2


async def test_a_header_that_would_break_the_request_is_refused_unsent() -> None:
    raw = Raw(lambda n, r, w: keep_alive(raw)(n, r, w))
    async with serving(raw) as base, client() as http:
        with pytest.raises(httpx.LocalProtocolError):
            await http.get(f"{base}/doc", headers={"x-trace": "a\r\nHost: internal"})
    assert raw.requests == []


async def test_only_reads_are_sent() -> None:
    raw = Raw(lambda n, r, w: keep_alive(raw)(n, r, w))
    async with serving(raw) as base, client() as http:
        with pytest.raises(httpx.UnsupportedProtocol):
            await http.post(f"{base}/doc", json={"a": 1})
    assert raw.connections == 0


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and product.test (openssl)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=product.test", "-keyout", str(key), "-out", str(cert),
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:product.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


async def test_an_untrusted_certificate_is_refused(certificate: tuple[Path, Path]) -> None:
    raw = Raw(lambda n, r, w: keep_alive(raw)(n, r, w))
    async with serving(raw, server_tls(certificate)) as base, client() as http:
        with pytest.raises(NoDocument):
            await read(http, f"{base}/doc")
    assert raw.requests == []


@pytest.mark.parametrize("name", ["product.test", "other.test"])
async def test_tls_is_checked_against_the_host_name(
    certificate: tuple[Path, Path], name: str
) -> None:
    """Trusting the certificate, the read goes to the checked address under the name:
    the name it was issued for is read; another name on the same address is refused."""
    trusted = ssl.create_default_context(cafile=str(certificate[0]))

    async def loopback(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    raw = Raw(lambda n, r, w: keep_alive(raw)(n, r, w))
    transport = DocumentTransport(
        AddressPolicy.of(LOOPBACK_ONLY), resolver=loopback, ssl_context=trusted
    )
    async with (
        serving(raw, server_tls(certificate)) as base,
        httpx.AsyncClient(transport=transport, trust_env=False) as http,
    ):
        url = base.replace("127.0.0.1", name) + "/doc"
        if name == "product.test":
            assert (await http.get(url)).json() == {"ok": True}
        else:
            with pytest.raises(httpx.ConnectError):
                await http.get(url)


async def test_the_gateway_reads_send_the_bytes_httpx_sends() -> None:
    """The short way in (``read_document``, prepared heads) and ``client.get`` write the
    same request, on the same kept connection."""
    raw = Raw(lambda n, r, w: keep_alive(raw)(n, r, w))
    async with serving(raw) as base, client() as http:
        assert isinstance(http, DocumentClient)
        assert (await http.get(f"{base}/doc?a=1")).json() == {"ok": True}
        assert await read(http, f"{base}/doc?a=1") == {"ok": True}
        assert await read(http, f"{base}/doc?a=1") == {"ok": True}
    assert raw.requests[0] == raw.requests[1] == raw.requests[2]
    assert b"accept-encoding: identity" in raw.requests[0].lower()
    assert raw.connections == 1


async def test_a_compressed_answer_is_not_the_document() -> None:
    """Asked for identity, the product gzips anyway: refused, whatever it inflates to."""
    packed = gzip.compress(DOC)

    async def script(n: int, reader: Reader, writer: Writer) -> None:
        while await raw.head(reader) is not None:
            writer.write(answer(packed, extra=b"content-encoding: gzip\r\n"))
            await writer.drain()

    raw = Raw(script)
    async with serving(raw) as base, client() as http:
        with pytest.raises(NoDocument):
            await read(http, f"{base}/doc")
