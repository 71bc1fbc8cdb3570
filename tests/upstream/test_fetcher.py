"""The fetcher against a real HTTP server: fresh, cached, coalesced, stale, failing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from gateway.cache import create_cache
from gateway.errors import UpstreamTimeout, UpstreamUnavailable
from gateway.settings import Settings
from gateway.upstream import CircuitBreaker, UpstreamFetcher, create_http_client
from tests.fixtures.uvicorn import LOOPBACK_ONLY


class Product:
    """A product gateway double whose behaviour a test switches at run time."""

    def __init__(self) -> None:
        self.hits = 0
        self.mode = "ok"

    async def doc(self, request: Request) -> Response:
        self.hits += 1
        if self.mode == "slow":
            await asyncio.sleep(1.0)
        if self.mode == "error":
            return JSONResponse({"error": "boom"}, status_code=500)
        if self.mode == "text":
            return PlainTextResponse("not json")
        await asyncio.sleep(0.05)  # long enough for concurrent callers to overlap
        return JSONResponse({"hit": self.hits})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/doc", self.doc)])


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def product(serve_app: Callable[[Any], str]) -> tuple[Product, str]:
    double = Product()
    return double, serve_app(double.app()) + "/doc"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = create_http_client(
        Settings(upstream_read_timeout=0.3, upstream_allowed_networks=LOOPBACK_ONLY)
    )
    yield client
    await client.aclose()


def make_fetcher(http: httpx.AsyncClient, clock: Clock, **kw: Any) -> UpstreamFetcher:
    cache = create_cache(Settings(cache_backend="memory"))
    return UpstreamFetcher(http, cache, fresh_ttl=10, clock=clock, **kw)


async def test_fresh_copy_is_served_from_cache_until_ttl(product, http) -> None:
    double, url = product
    clock = Clock()
    fetcher = make_fetcher(http, clock)
    first = await fetcher.get_json(url, product_id="p")
    assert first.data == {"hit": 1} and first.source == url and not first.stale
    clock.now += 5
    assert (await fetcher.get_json(url, product_id="p")).data == {"hit": 1}
    clock.now += 6
    assert (await fetcher.get_json(url, product_id="p")).data == {"hit": 2}
    assert double.hits == 2


async def test_concurrent_callers_share_one_request(product, http) -> None:
    double, url = product
    fetcher = make_fetcher(http, Clock())
    results = await asyncio.gather(*(fetcher.get_json(url) for _ in range(20)))
    assert {r.data["hit"] for r in results} == {1}
    assert double.hits == 1


async def test_stale_copy_with_warning_when_product_fails(product, http) -> None:
    double, url = product
    clock = Clock()
    fetcher = make_fetcher(http, clock)
    await fetcher.get_json(url, product_id="p")
    double.mode = "error"
    clock.now += 60
    stale = await fetcher.get_json(url, product_id="p")
    assert stale.stale and stale.data == {"hit": 1}
    assert stale.warning == (
        "product gateway did not answer with its document; serving a copy fetched 60s ago"
    )


@pytest.mark.parametrize(
    ("mode", "error", "fragment"),
    [
        ("error", UpstreamUnavailable, "^product gateway did not answer with its document$"),
        ("text", UpstreamUnavailable, "^product gateway did not answer with its document$"),
        ("slow", UpstreamTimeout, "^product gateway did not answer in time$"),
    ],
)
async def test_failures_without_a_copy_raise_coded_errors(product, http, mode, error, fragment):
    double, url = product
    double.mode = mode
    with pytest.raises(error, match=fragment) as raised:
        await make_fetcher(http, Clock()).get_json(url, product_id="prod-1")
    # Neither the code's details nor the message name the URL (it is in the log).
    assert raised.value.extensions == {"code": error.code, "productId": "prod-1"}


async def test_closed_port_is_unavailable(http) -> None:
    with pytest.raises(UpstreamUnavailable) as raised:
        await make_fetcher(http, Clock()).get_json("http://127.0.0.1:1/x", product_id="p")
    assert raised.value.code == "UPSTREAM_UNAVAILABLE"


async def test_open_breaker_fails_fast_without_calling(product, http) -> None:
    double, url = product
    double.mode = "error"
    fetcher = make_fetcher(http, Clock(), breaker=CircuitBreaker(threshold=2, cooldown=60))
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):
            await fetcher.get_json(url)
    with pytest.raises(UpstreamUnavailable, match="not retried"):
        await fetcher.get_json(url)
    assert double.hits == 2


async def test_oversized_document_is_refused(product, http) -> None:
    _, url = product
    fetcher = make_fetcher(http, Clock(), max_bytes=5)
    with pytest.raises(UpstreamUnavailable, match="did not answer with its document"):
        await fetcher.get_json(url, product_id="p")
