"""A pooled request through the gateway's client costs no import (issue 10).

httpcore asks ``sniffio`` which event loop runs each time it sets up a lock of its pool,
several times per request, by importing it inside the function. When ``sniffio`` is not
installed (anyio 4.16 no longer pulls it in), that import fails each time and a failed
import is not remembered: every request searched the whole ``sys.path`` again, a few
times, which was most of the client's CPU per call (bench/http_clients.py).
"""

from __future__ import annotations

import asyncio
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

from gateway.settings import Settings
from gateway.upstream import create_http_client, fetch_json
from tests.fixtures.uvicorn import LOOPBACK_ONLY
from tests.upstream.test_guard import Server, serving


class ImportsSeen(importlib.abc.MetaPathFinder):
    """Records every module the import system is asked to find (and finds none)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        self.names.append(fullname)
        return None


async def test_a_pooled_request_imports_nothing() -> None:
    settings = Settings(upstream_allowed_networks=LOOPBACK_ONLY)
    async with serving(Server()) as server, create_http_client(settings) as http:
        url = f"http://127.0.0.1:{server.port}/doc"
        await fetch_json(http, url, what="product gateway", max_bytes=100)  # first use
        seen = ImportsSeen()
        sys.meta_path.insert(0, seen)
        try:
            for _ in range(3):
                assert await fetch_json(http, url, what="product gateway", max_bytes=100)
        finally:
            sys.meta_path.remove(seen)
    assert seen.names == []


async def test_a_connection_the_product_closed_is_not_reused() -> None:
    """The test server closes each connection after its answer: the pool sees it (the
    idle socket reads as closed) and opens a new one, so no request fails."""
    settings = Settings(upstream_allowed_networks=LOOPBACK_ONLY)
    async with serving(Server()) as server, create_http_client(settings) as http:
        url = f"http://127.0.0.1:{server.port}/doc"
        for _ in range(3):
            await asyncio.sleep(0.05)  # the server's close has arrived
            assert await fetch_json(http, url, what="product gateway", max_bytes=100)
    assert server.connections == 3
