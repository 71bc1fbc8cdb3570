"""Nagle's algorithm is off on every connection of ``meshgate serve``, however many
processes (gateway/cli/nodelay.py): with ``--workers N`` uvicorn binds the listening
socket without saying it is TCP, asyncio then leaves Nagle on, and each answer's body
waited for the client's delayed ACK of its head (some 44 ms a request)."""

from __future__ import annotations

import socket
import statistics
import time
from collections.abc import Callable

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.cli import nodelay
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import running, server_at
from tests.workers.processes import Workers


async def _answer(request: object) -> JSONResponse:
    return JSONResponse({"ok": True})


APP = Starlette(routes=[Route("/", _answer)])


def _server_nodelay(server: uvicorn.Server) -> list[int]:
    """TCP_NODELAY of the server's end of each open connection."""
    return [
        c.transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        for c in list(server.server_state.connections)
    ]


@pytest.mark.parametrize(("http", "expected"), [("httptools", 0), (nodelay.PROTOCOL, 1)])
def test_a_connection_to_a_socket_bound_by_uvicorn_gets_nodelay_only_from_ours(
    http: str, expected: int
) -> None:
    """The premise (uvicorn's own protocol leaves Nagle on there; when uvicorn fixes it,
    the first case fails and gateway/cli/nodelay.py may go) and the fix."""
    # asyncio's loop, the gateway's default (uvloop sets the option itself).
    served = running(APP, lifespan="off", loop="asyncio", http=http, bound=True)
    with served as base, httpx.Client(base_url=base) as client:
        assert client.get("/").json() == {"ok": True}
        assert _server_nodelay(server_at(base)) == [expected]


def test_kept_alive_requests_to_either_process_wait_for_no_ack(
    two_gateways: Callable[..., tuple[Workers, TestIssuer]],
) -> None:
    """Twenty requests one after the other on one kept-alive connection to each process:
    each takes a few ms, where with Nagle on each after the first took 40 ms or more (the
    client's delayed ACK): a bound of 20 ms between the two."""
    gateway, _ = two_gateways()
    for pinned in gateway.pin_each(2):
        took = []
        for _ in range(20):
            started = time.perf_counter()
            assert pinned.query("{ __typename }") == {"data": {"__typename": "Query"}}
            took.append(time.perf_counter() - started)
        pinned.close()
        assert statistics.median(took) < 0.020, (pinned.pid, took)
