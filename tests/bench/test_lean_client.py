"""The SQL benchmark's client: one kept-open connection, opened again if the server closed it."""

from __future__ import annotations

import contextlib
import http.client
import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench.lean_client import LeanClient
from tests.fixtures.uvicorn import running

PEERS: list[tuple[str, int]] = []


async def echo(request: Request) -> JSONResponse:
    client = request.client
    assert client is not None
    PEERS.append((client.host, client.port))
    return JSONResponse(
        {"got": await request.json(), "types": request.headers.getlist("content-type"),
         "token": request.headers.get("authorization"), "query": request.url.query},
        status_code=201,
    )  # fmt: skip


@pytest.fixture
def base() -> Iterator[str]:
    PEERS.clear()
    with running(Starlette(routes=[Route("/echo", echo, methods=["POST"])])) as url:
        yield url


def test_posts_json_and_keeps_one_connection(base: str) -> None:
    with LeanClient() as client:
        answers = [
            client.post(f"{base}/echo?x=1", json={"n": n, "s": "é"}, headers={"Authorization": "t"})
            for n in range(3)
        ]
    assert [a.json()["got"] for a in answers] == [{"n": n, "s": "é"} for n in range(3)]
    assert {a.status_code for a in answers} == {201}
    assert answers[0].json()["types"] == ["application/json"]
    assert answers[0].json()["token"] == "t"
    assert answers[0].json()["query"] == "x=1"
    assert len(set(PEERS)) == 1, PEERS  # every request over the same connection


class _AnswerOnceThenClose(socketserver.BaseRequestHandler):
    """Answers one request per connection, then closes it without saying so (no
    ``Connection: close``), as a server does when a kept connection idles too long."""

    def handle(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                return  # the client went away
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(next(v for k, _, v in (line.partition(b": ") for line in head.split(b"\r\n"))
                          if k.lower() == b"content-length"))  # fmt: skip
        while len(body) < length:
            chunk = self.request.recv(65536)
            if not chunk:
                return
            body += chunk
        self.request.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        self.request.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def _serving(handler: type[socketserver.BaseRequestHandler]) -> Iterator[str]:
    """A raw TCP server on 127.0.0.1 answering with ``handler``; its URL."""
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/"
        finally:
            server.shutdown()


def test_opens_the_connection_again_when_the_server_closed_it() -> None:
    with _serving(_AnswerOnceThenClose) as url, LeanClient(timeout=5) as client:
        assert [client.post(url, json=n).json() for n in range(3)] == [0, 1, 2]
        assert client.retries == 2  # the second and third went out twice


class _CloseWithoutAnswer(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.recv(65536)
        self.request.shutdown(socket.SHUT_RDWR)


def test_a_new_connection_closed_without_an_answer_is_an_error_not_a_retry() -> None:
    with _serving(_CloseWithoutAnswer) as url, LeanClient(timeout=5) as client:
        for _ in range(2):  # and the client is usable after it
            with pytest.raises(http.client.RemoteDisconnected):
                client.post(url, json=1)
        assert client.retries == 0


def test_the_callers_headers_replace_the_defaults_whatever_their_case(base: str) -> None:
    with LeanClient() as client:
        answer = client.post(f"{base}/echo", json=[], headers={"content-type": "application/json"})
    assert answer.json()["types"] == ["application/json"]


def test_refuses_what_it_does_not_speak() -> None:
    with LeanClient() as client, pytest.raises(ValueError, match="plain http"):
        client.post("https://127.0.0.1:1/x", json={})
