"""Whole answers kept (gateway/result_cache.py, schema/cached_answers.py), attacked: a real
gateway under uvicorn over real product kits (one behind a relay that can change what it
serves), callers with different rights, a registry that changes, many and huge variables.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse

from gateway.identity import Principal
from gateway.result_cache import ResultCache
from schema import cached_answers
from schema.build import build_schema
from schema.cached_answers import caller_of, may_keep
from tests.fixtures.identity import TestIssuer
from tests.graph.test_health import Relay, relayed_mesh, settle

ANONYMOUS = caller_of(Principal("anonymous", kind="anonymous"))
TTL = 1.0  # seconds a product document (and so an answer built from it) is fresh
US = "precipitation.us-precipitation"
STATE = "query($id: ID!) { product(id: $id) { key state } }"
PAGE = "{ products(first: 50) { totalCount edges { node { key name health { status } } } } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"


@dataclass
class World:
    gateway: str
    relay: Relay
    issuer: TestIssuer
    cache: ResultCache
    services: Any
    france: str
    stop_relay: Callable[[], None]
    app: Any

    def post(self, query: str, variables: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> httpx.Response:  # fmt: skip
        answer = httpx.post(f"{self.gateway}/graphql", json={"query": query,
                            "variables": variables}, headers=headers or {}, timeout=30)  # fmt: skip
        assert answer.status_code == 200, answer.text
        return answer

    def ask(self, query: str, variables: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
        body: dict[str, Any] = self.post(query, variables, headers).json()
        return body


@contextlib.contextmanager
def world(tmp: Path, **settings: Any) -> Iterator[World]:
    # No certification round (its first comes 5 s after start) moves the epoch in the
    # middle of a test.
    defaults = {"cache_ttl_seconds": TTL, "result_cache_stale_seconds": 5.0,
                "certification_first_round_seconds": 3600.0}  # fmt: skip
    with relayed_mesh(tmp, {**defaults, **settings}) as mesh:
        mesh.register(mesh.relayed)
        cache = mesh.app.state.services.result_cache
        assert cache is not None
        started = World(mesh.gateway, mesh.relay, mesh.issuer, cache, mesh.app.state.services,
                        f"{mesh.france}/discover/metadata", mesh.stop_relay, mesh.app)  # fmt: skip
        # The product's first health verdict and its first certification move the epoch:
        # an answer built meanwhile is not kept, one kept before is dropped. Once both
        # follow-ups of the registration are done, answers are kept.
        settle(mesh.app)
        deadline = time.monotonic() + 15
        while len(cache) == 0:
            assert time.monotonic() < deadline, "no answer was ever kept"
            started.ask(PAGE)
        yield started


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    """Documents fresh for a minute: no kept answer expires in the middle of a test (at
    TTL, an answer built on a busy machine from documents read a second before was not
    kept, its documents expired already, and the count of kept answers was one short)."""
    with world(tmp_path, cache_ttl_seconds=60.0) as started:
        yield started


def test_a_repeated_question_is_answered_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Documents fresh for a minute: no answer expires (and is refreshed) during the test.
    with world(tmp_path, cache_ttl_seconds=60.0) as w:
        first = w.ask(PAGE)
        assert not first.get("errors"), first
        registry = w.services.registry
        reads: list[object] = []
        real_list = registry.list

        async def counted(**filters: Any) -> Any:
            reads.append(filters)
            return await real_list(**filters)

        monkeypatch.setattr(registry, "list", counted)
        assert w.ask(PAGE) == first
        assert reads == []  # the operation did not run
        assert w.ask(PAGE + " ") == first  # another text: it runs
        assert len(reads) == 1


def test_a_burst_of_the_same_question_is_built_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, cache_ttl_seconds=60.0) as w:
        registry = w.services.registry
        reads: list[object] = []
        real_list = registry.list

        async def slow(**filters: Any) -> Any:
            reads.append(filters)
            await asyncio.sleep(0.5)  # the others arrive meanwhile
            return await real_list(**filters)

        monkeypatch.setattr(registry, "list", slow)
        text = PAGE + "  "  # not asked before
        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(lambda _: w.ask(text), range(10)))
        assert all(a == answers[0] and not a.get("errors") for a in answers), answers[0]
        assert len(reads) == 1


def test_a_kept_answer_carries_this_request_s_id_and_media_type(w: World) -> None:
    one = w.post(PAGE)
    two = w.post(PAGE, headers={"accept": GRAPHQL_RESPONSE})
    assert one.content == two.content and len(w.cache) == 1  # the fixture's PAGE
    assert one.headers["x-request-id"] != two.headers["x-request-id"]
    assert one.headers["content-type"].startswith("application/json")
    assert two.headers["content-type"].startswith(GRAPHQL_RESPONSE)


def test_what_a_caller_may_not_see_is_never_served_from_another_s_answer(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Usage is for signed-in callers; declared kept here so that an admin's answer is
    # kept, the anonymous caller must still be refused.
    kept = {**cached_answers.KEPT, "Product": cached_answers.KEPT["Product"] | {"usage"},
            "ProductUsage": frozenset({"queries"})}  # fmt: skip
    monkeypatch.setattr(cached_answers, "KEPT", kept)
    usage = "query($id: ID!) { product(id: $id) { usage { queries } } }"
    admin = w.ask(usage, {"id": US}, w.issuer.headers())
    assert admin["data"]["product"]["usage"] == {"queries": 0}, admin
    assert len(w.cache) == 2  # PAGE and the admin's
    anonymous = w.ask(usage, {"id": US})
    assert "queries" not in str(anonymous["data"])
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    reader = w.ask(usage, {"id": US}, w.issuer.headers("ana", roles=["reader"]))
    assert reader["data"]["product"]["usage"] == {"queries": 0}
    assert len(w.cache) == 3  # the admin's and the reader's, each under its own key


def test_a_product_that_changes_its_documents_is_seen_after_the_ttl(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        _changed_documents_are_seen(w)


def _changed_documents_are_seen(w: World) -> None:
    assert w.ask(STATE, {"id": US})["data"]["product"]["state"] == "running"
    w.relay.overrides["/discover/metadata"] = {
        **httpx.get(f"{w.relay.kit}/discover/metadata").json(),
        "state": "paused",
    }
    deadline = time.monotonic() + TTL + 10
    while w.ask(STATE, {"id": US})["data"]["product"]["state"] != "paused":
        assert time.monotonic() < deadline, "the changed document was never seen"
        time.sleep(0.1)


def test_a_product_gone_down_is_seen_as_such_once_its_answer_expires(tmp_path: Path) -> None:
    # Expired answers may be served for a minute while they are refreshed; the refresh
    # finds the product down, and from then on callers see the stale copy and the warning.
    with world(tmp_path, result_cache_stale_seconds=60.0) as w:
        assert w.ask(STATE, {"id": US})["data"]["product"]["state"] == "running"
        w.stop_relay()
        deadline = time.monotonic() + TTL + 20
        while not (body := w.ask(STATE, {"id": US})).get("extensions"):
            assert time.monotonic() < deadline, f"the product is still shown up: {body}"
            time.sleep(0.2)
        codes = [note["code"] for note in body["extensions"]["warnings"]]
        assert codes == ["STALE_DATA"], body


def test_a_registry_change_is_seen_at_once(w: World) -> None:
    answer = httpx.post(f"{w.gateway}/registry/products", headers=w.issuer.headers(),
                        json={"url": w.france}, timeout=30)  # fmt: skip
    assert answer.status_code == 201, answer.text
    deadline = time.monotonic() + 15
    before = w.ask(PAGE)["data"]["products"]["totalCount"]
    while w.cache.get(w.cache.key(PAGE, None, None, ANONYMOUS)) is None:  # kept, both judged
        assert time.monotonic() < deadline, "the page was never kept"
        before = w.ask(PAGE)["data"]["products"]["totalCount"]
    gone = 'mutation { unregisterProduct(id: "precipitation.france-precipitation") { key } }'
    assert not w.ask(gone, headers=w.issuer.headers()).get("errors")
    assert w.ask(PAGE)["data"]["products"]["totalCount"] == before - 1


def test_a_mutation_is_never_kept(tmp_path: Path) -> None:
    # One rating an hour per caller and product: the same mutation again must run, and
    # be refused, not be answered with the first one's success.
    with world(tmp_path, feedback_max_ratings_per_hour=1) as w:
        rate = f'mutation {{ rateProduct(product: "{US}", stars: 4) {{ stars }} }}'
        reader = w.issuer.headers("ana", roles=["reader"])
        kept = len(w.cache)
        one = w.ask(rate, headers=reader)
        assert one == {"data": {"rateProduct": {"stars": 4}}}, one
        two = w.ask(rate, headers=reader)
        assert two.get("errors"), two
        assert len(w.cache) == kept


def test_an_answer_with_an_error_is_never_served_to_a_later_caller(tmp_path: Path) -> None:
    with world(tmp_path) as w:  # documents fresh for TTL
        _errors_are_not_kept(w)


def _errors_are_not_kept(w: World) -> None:
    w.relay.overrides["/discover/metadata"] = ["not", "an", "object"]
    time.sleep(TTL)  # the product's good metadata expires
    kept = len(w.cache)
    one = w.post(STATE, {"id": US})
    two = w.post(STATE, {"id": US})
    for answer in (one, two):
        (error,) = answer.json()["errors"]
        assert error["extensions"]["requestId"] == answer.headers["x-request-id"]
    assert len(w.cache) == kept


def test_the_cache_stays_bounded_under_many_distinct_questions(tmp_path: Path) -> None:
    with world(tmp_path, result_cache_max_entries=10, result_cache_max_bytes=4000) as w:
        for n in range(40):
            body = w.ask("query($n: Int!) { products(first: $n) { totalCount } }", {"n": n})
            assert not body.get("errors"), body
            w.ask(f"{{ a{n}: products(first: 1) {{ edges {{ node {{ name }} }} }} }}")
            assert len(w.cache) <= 10 and w.cache.bytes <= 4000
        assert len(w.cache) >= 5  # it does keep answers


def test_huge_variables_neither_blow_the_key_nor_the_memory(w: World) -> None:
    query = "query($f: ProductFilter) { products(filter: $f) { totalCount } }"
    huge = {"f": {"text": "x" * 400_000}}
    kept, size = len(w.cache), w.cache.bytes
    body = w.ask(query, huge)
    assert body["data"]["products"]["totalCount"] == 0, body
    assert len(w.cache) == kept + 1 and w.cache.bytes - size < 100
    assert w.ask(query, huge) == body


@pytest.mark.parametrize(
    "document",
    [
        'mutation { refreshProduct(id: "x") { key } }',
        'subscription { productEvents(products: ["x"]) { kind } }',
        "{ products { edges { node { usage { queries } } } } }",
        "{ products { edges { node { audit { edges { node { action } } } } } } }",
        "{ products { edges { node { feedback { issues { edges { node { text } } } } } } } }",
        '{ sql(query: "select 1") { rowCount } }',
        '{ search(text: "rain") { score } }',
        "{ products { edges { node { ...Hidden } } } } "
        "fragment Hidden on Product { usage { queries } }",
        "{ products { edges { node { ... on Product { certification { status } } } } } }",
        "{ __schema { types { name } } }",
        'query A { products { totalCount } } mutation B { refreshProduct(id: "x") { key } }',
    ],
)
def test_only_queries_of_declared_fields_may_be_kept(document: str) -> None:
    schema = build_schema()._schema
    assert not may_keep(schema, parse(document), "B" if "mutation B" in document else None)


def test_a_stale_answer_is_refreshed_once_however_many_ask() -> None:
    async def scenario() -> int:
        now = [100.0]
        cache = ResultCache(max_entries=10, max_bytes=10_000, stale_seconds=30,
                            epoch=lambda: 0, clock=lambda: now[0])  # fmt: skip
        key = b"k" * 32
        cache.put(key, b"old", expires=110.0, epoch=0)
        now[0] = 115.0  # expired, within the stale bound
        runs = 0
        release = asyncio.Event()

        async def rebuild() -> None:
            nonlocal runs
            runs += 1
            await release.wait()
            cache.put(key, b"new", expires=200.0, epoch=0)

        for _ in range(50):
            hit = cache.get(key)
            assert hit is not None and hit.body == b"old" and not hit.fresh
            assert cache.refresh(key, rebuild)
            await asyncio.sleep(0)
        release.set()
        await asyncio.sleep(0.01)
        hit = cache.get(key)
        assert hit is not None and hit.body == b"new" and hit.fresh
        return runs

    assert asyncio.run(scenario()) == 1


def test_an_answer_past_its_stale_bound_or_epoch_is_gone() -> None:
    now, epoch = [100.0], [0]
    cache = ResultCache(max_entries=10, max_bytes=10_000, stale_seconds=5,
                        epoch=lambda: epoch[0], clock=lambda: now[0])  # fmt: skip
    cache.put(b"a", b"1", expires=110.0, epoch=0)
    cache.put(b"b", b"2", expires=110.0, epoch=0)
    now[0] = 116.0
    assert cache.get(b"a") is None
    now[0] = 100.0
    epoch[0] = 1  # the registry changed
    assert cache.get(b"b") is None
    cache.put(b"c", b"3", expires=110.0, epoch=0)  # built before the change: not kept
    assert len(cache) == 0


def test_an_answer_built_past_its_time_replaces_the_older_and_is_served_stale() -> None:
    # A document the answer read expired while it was built: the new answer is still the
    # newest, and the one kept before must not be dropped for nothing (callers would
    # then build their own, each of them, until a build finished in time).
    now = [100.0]
    cache = ResultCache(max_entries=10, max_bytes=10_000, stale_seconds=5,
                        epoch=lambda: 0, clock=lambda: now[0])  # fmt: skip
    cache.put(b"k", b"old", expires=110.0, epoch=0)
    now[0] = 112.0
    cache.put(b"k", b"new", expires=111.0, epoch=0)
    hit = cache.get(b"k")
    assert hit is not None and hit.body == b"new" and not hit.fresh
    cache.put(b"k", b"newer", expires=106.0, epoch=0)  # past its stale bound too: not kept
    assert cache.get(b"k") is None


def test_a_refreshed_answer_is_fresh_for_long_whatever_the_ages_of_its_documents(
    tmp_path: Path,
) -> None:
    """An answer expires with the oldest document it read. Documents read at different
    moments expire at different moments: a background refresh that took the younger ones
    as they were kept its answer only for what was left of their time, then refreshed
    again, and callers between two refreshes built theirs inline, at every expiry."""
    ttl = 4.0
    with world(tmp_path, cache_ttl_seconds=ttl) as w:
        answer = httpx.post(f"{w.gateway}/registry/products", headers=w.issuer.headers(),
                            json={"url": w.france}, timeout=30)  # fmt: skip
        assert answer.status_code == 201, answer.text
        settle(w.app)
        time.sleep(ttl)  # every product document the gateway read has expired
        # US's health document is read now; France's, 0.6 s later, by a question that
        # reads both: its answer expires with US's document. Each document was read
        # before its question's answer came back (the moments below; the gateway runs in
        # this process, on the same clock), however slow the machine.
        one = "query($id: ID!) { product(id: $id) { health { status } } }"
        assert not w.ask(one, {"id": US}).get("errors")
        us_read = time.monotonic()
        time.sleep(0.6)
        both = PAGE + "   "  # a text not asked before
        first = w.ask(both)
        france_read = time.monotonic()
        assert first["data"]["products"]["totalCount"] == 2, first
        # The refresh below takes again what is older than half the TTL: France's
        # document must be, for this test to tell the two behaviours apart.
        assert france_read - us_read < ttl / 2, "the questions took too long to answer"
        key = cache_key(w, both)
        until(lambda: (hit := w.cache.get(key)) is not None and hit.fresh, "kept")
        time.sleep(max(0.0, us_read + ttl + 0.1 - time.monotonic()))
        hit = w.cache.get(key)
        assert hit is not None and not hit.fresh  # expired: served while one refresh runs
        assert w.ask(both) == first
        until(lambda: (hit := w.cache.get(key)) is not None and hit.fresh, "refreshed")
        # US's document alone fetched again, the refreshed answer would expire with
        # France's, by france_read + TTL; fetched both, it is fresh for at least half a
        # TTL from the refresh, past that moment.
        time.sleep(max(0.0, france_read + ttl + 0.1 - time.monotonic()))
        hit = w.cache.get(key)
        assert hit is not None and hit.fresh, "the refreshed answer expired with its oldest"


def cache_key(w: World, text: str) -> bytes:
    key = w.cache.key(text, None, {}, ANONYMOUS)
    assert key is not None
    return key


def until(check: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.02)
