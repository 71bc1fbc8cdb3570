"""The fetcher against a real HTTP server: fresh, cached, coalesced, stale, failing."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from gateway.cache import create_cache
from gateway.errors import UpstreamError, UpstreamTimeout, UpstreamUnavailable
from gateway.settings import Settings
from gateway.upstream import CircuitBreaker, UpstreamFetcher, create_http_client
from gateway.upstream.fetcher import Fetched
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
        if self.mode == "slow-ok":
            await asyncio.sleep(0.2)
        if self.mode == "deep":  # 100,000 levels: far past Python's recursion limit
            return Response(b"[" * 100_000 + b"]" * 100_000, media_type="application/json")
        if self.mode == "slow-error":
            await asyncio.sleep(0.2)
            return JSONResponse({"error": "boom"}, status_code=500)
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


async def test_a_reader_asking_for_a_younger_copy_gets_one_the_others_the_cached(
    product, http
) -> None:
    double, url = product
    clock = Clock()
    fetcher = make_fetcher(http, clock)
    await fetcher.get_json(url, product_id="p")
    clock.now += 4
    assert (await fetcher.get_json(url, max_age=5)).data == {"hit": 1}  # young enough
    assert (await fetcher.get_json(url, max_age=3)).data == {"hit": 2}  # fetched again
    clock.now += 9.5  # the new copy is 9.5 s old: fresh for everyone else
    assert (await fetcher.get_json(url)).data == {"hit": 2}
    assert (await fetcher.get_json(url, max_age=60)).data == {"hit": 2}  # never past the TTL
    clock.now += 1
    assert (await fetcher.get_json(url, max_age=60)).data == {"hit": 3}
    assert double.hits == 3


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


async def test_deeply_nested_answer_is_a_coded_error(product, http) -> None:
    # Before: json.loads raised RecursionError, which escaped as an internal error.
    double, url = product
    double.mode = "deep"
    with pytest.raises(UpstreamUnavailable, match="did not answer with its document") as raised:
        await make_fetcher(http, Clock()).get_json(url, product_id="p")
    assert raised.value.extensions == {"code": "UPSTREAM_UNAVAILABLE", "productId": "p"}


async def test_deeply_nested_answer_to_a_trial_does_not_block_the_host(product, http) -> None:
    # Before: the RecursionError skipped success() and failure(), the trial stayed
    # "running" and the host was refused until restart, even once it answered again.
    double, url = product
    fetcher = make_fetcher(http, Clock(), breaker=CircuitBreaker(threshold=1, cooldown=0.2))
    double.mode = "error"
    with pytest.raises(UpstreamUnavailable, match="did not answer"):
        await fetcher.get_json(url)
    await asyncio.sleep(0.25)
    double.mode = "deep"
    with pytest.raises(UpstreamUnavailable, match="did not answer"):  # the trial, failed
        await fetcher.get_json(url)
    with pytest.raises(UpstreamUnavailable, match="not retried"):  # open again
        await fetcher.get_json(url)
    double.mode = "ok"
    await asyncio.sleep(0.25)
    assert (await fetcher.get_json(url)).data == {"hit": 3}


async def test_cancelled_trial_lets_the_next_caller_try(product, http) -> None:
    # Before: a trial whose caller went away left trial_running=True for ever.
    double, url = product
    fetcher = make_fetcher(http, Clock(), breaker=CircuitBreaker(threshold=1, cooldown=0.2))
    double.mode = "error"
    with pytest.raises(UpstreamUnavailable):
        await fetcher.get_json(url)
    await asyncio.sleep(0.25)
    double.mode = "slow-ok"
    trial = asyncio.create_task(fetcher.get_json(url))
    await _until(lambda: double.hits == 2)  # the trial has reached the product
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    double.mode = "ok"
    assert (await fetcher.get_json(url)).data == {"hit": 3}


async def test_a_cancelled_caller_does_not_cancel_the_others(product, http) -> None:
    # Before: the first caller ran the shared request itself, and its cancellation was
    # set on the future every other caller of the same URL awaited.
    double, url = product
    double.mode = "slow-ok"
    fetcher = make_fetcher(http, Clock())
    first = asyncio.create_task(fetcher.get_json(url))
    await _until(lambda: double.hits == 1)
    others = [asyncio.create_task(fetcher.get_json(url)) for _ in range(3)]
    await _until(lambda: _waiters(fetcher, url) == 4)  # all four share the one request
    first.cancel()
    results = await asyncio.gather(*others)
    assert [r.data for r in results] == [{"hit": 1}] * 3
    assert first.cancelled() and double.hits == 1


async def test_a_shared_failure_reaches_every_waiter_and_nothing_is_left_unread(
    product, http, caplog: pytest.LogCaptureFixture
) -> None:
    double, url = product
    double.mode = "slow-error"
    fetcher = make_fetcher(http, Clock())
    first = asyncio.create_task(fetcher.get_json(url))
    await _until(lambda: double.hits == 1)
    second = asyncio.create_task(fetcher.get_json(url))
    await _until(lambda: _waiters(fetcher, url) == 2)  # the second shares the request
    first.cancel()
    with pytest.raises(UpstreamUnavailable):
        await second
    # The only caller of another URL leaves: the shared request is cancelled, unread.
    lonely = asyncio.create_task(fetcher.get_json(url + "?other"))
    await _until(lambda: double.hits == 2)
    lonely.cancel()
    await asyncio.gather(first, lonely, return_exceptions=True)
    await _until(lambda: not fetcher._inflight)  # every shared request has ended
    gc.collect()
    await asyncio.sleep(0)
    unread = [r for r in caplog.records if "never retrieved" in r.getMessage()]
    assert not unread
    assert first.cancelled() and lonely.cancelled() and double.hits == 2


async def test_no_stale_copy_when_the_stale_time_is_zero(product, http) -> None:
    # Before: a stale TTL of 0 reached aiocache as "no expiry": documents were kept, and
    # served as stale copies, for ever.
    double, url = product
    cache = create_cache(Settings(cache_ttl_seconds=0, stale_ttl_seconds=0))
    fetcher = UpstreamFetcher(http, cache, fresh_ttl=0)
    assert (await fetcher.get_json(url)).data == {"hit": 1}
    double.mode = "error"
    with pytest.raises(UpstreamUnavailable):
        await fetcher.get_json(url)


async def test_a_copy_older_than_the_stale_time_is_not_served(product, http) -> None:
    double, url = product
    clock = Clock()
    settings = Settings(cache_ttl_seconds=5, stale_ttl_seconds=30)
    fetcher = UpstreamFetcher.from_settings(http, create_cache(settings), settings)
    fetcher._clock = clock
    await fetcher.get_json(url)
    double.mode = "error"
    clock.now += 29
    stale: Fetched = await fetcher.get_json(url)
    assert stale.stale and stale.data == {"hit": 1}
    clock.now += 2
    with pytest.raises(UpstreamUnavailable):
        await fetcher.get_json(url)


class CountedCache:
    """The memory cache, counting its reads and writes."""

    def __init__(self, settings: Settings) -> None:
        self._cache = create_cache(settings)
        self.gets = self.sets = 0

    async def get(self, key: str) -> Any:
        self.gets += 1
        return await self._cache.get(key)

    async def set(self, key: str, doc: Any) -> None:
        self.sets += 1
        await self._cache.set(key, doc)


async def test_with_no_fresh_time_the_cache_is_read_only_for_a_stale_copy(product, http) -> None:
    double, url = product
    settings = Settings(cache_ttl_seconds=0, stale_ttl_seconds=30)
    cache = CountedCache(settings)
    fetcher = UpstreamFetcher.from_settings(http, cache, settings)  # type: ignore[arg-type]
    for _ in range(3):
        assert not (await fetcher.get_json(url)).stale
    assert (cache.gets, cache.sets) == (0, 3)
    double.mode = "error"
    stale = await fetcher.get_json(url)
    assert stale.stale and stale.data == {"hit": 3}
    assert (cache.gets, cache.sets) == (1, 3)


async def test_with_no_fresh_nor_stale_time_the_cache_is_never_read(product, http) -> None:
    # It is still written: the cache is shared with the graph's fetcher, which answers
    # from what the health monitor's (fresh and stale time 0) has just read.
    double, url = product
    settings = Settings(cache_ttl_seconds=0, stale_ttl_seconds=0)
    cache = CountedCache(settings)
    fetcher = UpstreamFetcher.from_settings(http, cache, settings)  # type: ignore[arg-type]
    assert (await fetcher.get_json(url)).data == {"hit": 1}
    double.mode = "error"
    with pytest.raises(UpstreamUnavailable):
        await fetcher.get_json(url)
    assert (cache.gets, cache.sets) == (0, 1)


def _waiters(fetcher: UpstreamFetcher, url: str) -> int:
    """How many callers await the shared request for ``url`` (the fetcher's own count)."""
    shared = fetcher._inflight.get(url)
    return 0 if shared is None else shared.waiters


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_requests_to_a_host_on_trial_wait_for_the_trial_verdict(product, http) -> None:
    # A product's documents are read at once (metadata and health link): when the product
    # has recovered, the trial's success lets the others through instead of refusing them.
    double, url = product
    fetcher = make_fetcher(http, Clock(), breaker=CircuitBreaker(threshold=1, cooldown=0.0))
    double.mode = "error"
    with pytest.raises(UpstreamError):
        await fetcher.get_json(url + "?first")
    double.mode = "ok"  # answers after 0.05 s: the two reads below overlap
    found = await asyncio.gather(*(fetcher.get_json(f"{url}?doc={i}") for i in range(2)))
    assert [doc.stale for doc in found] == [False, False]
    assert double.hits == 3
    # A trial that fails fails the requests that waited for it too.
    double.mode = "error"
    with pytest.raises(UpstreamError):
        await fetcher.get_json(url + "?again")
    results = await asyncio.gather(
        *(fetcher.get_json(f"{url}?late={i}") for i in range(2)), return_exceptions=True
    )
    assert all(isinstance(r, UpstreamError) for r in results)
