"""Health judged against the contract, end to end: real product kits under uvicorn (one
behind a relay that can make it lie), a real gateway refreshing health in the background.

Each breach (a lying product, a failing quality rule, late results, a pause, a gateway
stopped) shows in the product's health and in ``meshHealth`` within a refresh or two,
with reasons naming the rule or SLA property; ``results(since, rule)`` filters and pages
what the product serves; a product answering 100,000 results costs a bounded answer.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.settings import Settings
from productkit.http.app import create_product_app
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import DEMO

REFRESH = 0.5  # seconds between background refreshes in these tests
WAIT = 15.0  # how long a change may take to show, under a loaded machine
US = "precipitation.us-precipitation"
FR = "precipitation.france-precipitation"
US_CONTRACT = "06648f07-b3d9-4eb9-a990-6065fccce778/1.0.0"

HEALTH = """query($id: ID!) { product(id: $id) { health {
  status reportedStatus state checkedAt stale
  reasons { code status message contract rule property observed promised since } } } }"""
MESH = """{ meshHealth { counts { status count } checkedAt
  worstOffenders(first: 5) { productKey status product { key } reasons { code property rule } }
  outOfSla { productKey reasons { code property } } } }"""


@dataclass
class Relay:
    """A real kit seen through a relay: ``overrides`` (path -> JSON) replace its answers."""

    kit: str
    overrides: dict[str, Any] = field(default_factory=dict)
    hits: int = 0  # requests the relay received

    def app(self) -> Starlette:
        async def relay(request: Request) -> Response:
            self.hits += 1
            path = request.url.path
            if path in self.overrides:
                return JSONResponse(self.overrides[path])
            async with httpx.AsyncClient() as http:  # links follow the relay's Host
                answer = await http.get(
                    self.kit + path,
                    params=dict(request.query_params),
                    headers={"host": request.headers["host"]},
                )
            kind = answer.headers.get("content-type", "application/json")
            return Response(answer.content, status_code=answer.status_code, media_type=kind)

        return Starlette(routes=[Route("/{path:path}", relay)])


def settle(app: Starlette) -> None:
    """Wait until the follow-ups of the registrations are done: the health checks and
    the certifications they started (a certification reads the product's documents,
    through the relay, and moves the result cache's epoch, however late the machine lets
    it run)."""
    services = app.state.services
    followers = (services.health.follower, services.certifier.follower)
    deadline = time.monotonic() + WAIT
    while any(f.pending for f in followers):
        assert time.monotonic() < deadline, "the registrations' follow-ups never ended"
        time.sleep(0.05)


@dataclass
class World:
    gateway: str
    kit: str  # the US kit itself (its /control)
    relay: Relay
    stop_relay: Callable[[], None]
    issuer: TestIssuer
    app: Starlette

    def settle(self) -> None:
        settle(self.app)

    def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.gateway}/graphql",
            json={"query": query, "variables": variables},
            headers=self.issuer.headers(),
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def health(self, key: str = US) -> dict[str, Any]:
        body = self.query(HEALTH, {"id": key})
        assert not body.get("errors"), body
        found: dict[str, Any] = body["data"]["product"]["health"]
        return found

    def mesh(self) -> dict[str, Any]:
        body = self.query(MESH)
        assert not body.get("errors"), body
        found: dict[str, Any] = body["data"]["meshHealth"]
        return found

    def until(self, status: str, key: str = US) -> dict[str, Any]:
        """The product's health once it is ``status`` (fails after WAIT seconds)."""
        deadline = time.monotonic() + WAIT
        while True:
            found = self.health(key)
            if found["status"] == status:
                return found
            assert time.monotonic() < deadline, f"still {found['status']}: {found['reasons']}"
            time.sleep(REFRESH / 2)

    def kit_results(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(f"{self.kit}/observe/results").json()["results"]
        return found


@dataclass
class Relayed:
    """A gateway over the US kit seen through a relay and the France kit, nothing
    registered yet: what the health and the result-cache worlds both start from."""

    app: Starlette
    gateway: str
    kit: str
    france: str
    relayed: str
    relay: Relay
    stop_relay: Callable[[], None]
    issuer: TestIssuer

    def register(self, base: str) -> None:
        answer = httpx.post(
            f"{self.gateway}/registry/products",
            json={"url": f"{base}/discover/metadata"},
            headers=self.issuer.headers(),
            timeout=30,
        )
        assert answer.status_code == 201, answer.text


@contextlib.contextmanager
def relayed_mesh(tmp: Path, settings: dict[str, Any]) -> Iterator[Relayed]:
    """Start :class:`Relayed`, its gateway on 127.0.0.1 with ``settings`` on top."""
    with contextlib.ExitStack() as stack:
        kit = stack.enter_context(
            running(create_product_app(DEMO / "us-precipitation", token="t", env={}))
        )
        france = stack.enter_context(
            running(create_product_app(DEMO / "france-precipitation", token="t", env={}))
        )
        relay = Relay(kit)
        relay_stack = contextlib.ExitStack()
        stack.callback(relay_stack.close)
        relayed = relay_stack.enter_context(running(relay.app()))
        issuer = TestIssuer(tmp / "auth")
        config = Settings(
            registry_url=f"sqlite:///{tmp / 'registry.db'}",
            upstream_allowed_networks=LOOPBACK_ONLY,
            **{**issuer.settings(), **settings},
        )
        app = create_app(config)
        gateway = stack.enter_context(running(app))
        yield Relayed(app, gateway, kit, france, relayed, relay, relay_stack.close, issuer)


@contextlib.contextmanager
def world(tmp: Path, **settings: Any) -> Iterator[World]:
    defaults = {
        "health_refresh_seconds": REFRESH,
        "health_deadline_seconds": 5.0,
        "upstream_breaker_cooldown_seconds": 0.2,
    }
    with relayed_mesh(tmp, {**defaults, **settings}) as mesh:
        for base in (mesh.relayed, mesh.france):
            mesh.register(base)
        yield World(mesh.gateway, mesh.kit, mesh.relay, mesh.stop_relay, mesh.issuer, mesh.app)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(tmp_path_factory.mktemp("health")) as started:
        yield started


@pytest.fixture
def w(shared: World) -> Iterator[World]:
    """The shared world, honest and running again after each test."""
    yield shared
    shared.relay.overrides.clear()
    httpx.post(f"{shared.kit}/control/resume", headers={"authorization": "Bearer t"})
    shared.until("UP")


def counts(mesh: dict[str, Any]) -> dict[str, int]:
    return {c["status"]: c["count"] for c in mesh["counts"]}


def test_honest_products_are_up_and_the_mesh_counts_them(w: World) -> None:
    found = w.until("UP")
    assert found["reasons"] == [] and found["reportedStatus"] == "UP"
    w.until("UP", FR)
    mesh = w.mesh()
    assert counts(mesh)["UP"] == 2 and mesh["worstOffenders"] == [] and mesh["outOfSla"] == []


def test_a_product_saying_up_while_its_results_breach_the_contract_is_degraded(
    w: World,
) -> None:
    results = copy.deepcopy(w.kit_results())
    latency = [r for r in results if r["property"] == "latency"]
    assert latency, "the kit measures its latency SLA"
    for r in latency:  # ten days late, and "passed" all the same
        r.update(value=10, unit="d", passed=True)
    w.relay.overrides["/observe/results"] = {"results": results}
    w.relay.overrides["/observe/health"] = {"status": "UP", "state": "running", "checks": [],
                                            "tables": []}  # fmt: skip
    found = w.until("DEGRADED")
    assert found["reportedStatus"] == "UP"
    late = [r for r in found["reasons"] if r["code"] == "LATE_DATA"]
    assert late and {
        (r["property"], r["observed"], r["promised"], r["contract"]) for r in late
    } == {("latency", "10 d", "3 d", US_CONTRACT)}
    mesh = w.mesh()
    assert counts(mesh)["DEGRADED"] == 1
    assert [o["productKey"] for o in mesh["outOfSla"]] == [US]
    (offender,) = mesh["worstOffenders"]
    assert offender["product"]["key"] == US and offender["status"] == "DEGRADED"


def test_a_failing_quality_rule_degrades_and_is_named(w: World) -> None:
    results = copy.deepcopy(w.kit_results())
    rows = next(r for r in results if r["property"] == "rowCount" and r["criteria"] == "dq")
    rows.update(value=0, passed=False)
    w.relay.overrides["/observe/results"] = {"results": results}
    found = w.until("DEGRADED")
    (reason,) = [r for r in found["reasons"] if r["code"] == "QUALITY_RULE_FAILED"]
    assert (reason["rule"], reason["property"], reason["observed"], reason["promised"]) == (
        "rowCount",
        rows["element"],
        "0",
        "mustBeGreaterThan 0",
    )
    assert reason["contract"] == US_CONTRACT and reason["since"]
    mesh = w.mesh()
    assert mesh["worstOffenders"][0]["reasons"][0]["rule"] == "rowCount"
    assert mesh["outOfSla"] == []  # a quality breach, not a service level one


def test_results_older_than_the_promised_frequency_are_late(w: World) -> None:
    old = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    results = [{**r, "timestamp": old} for r in w.kit_results()]
    w.relay.overrides["/observe/results"] = {"results": results}
    found = w.until("DEGRADED")
    (reason,) = [r for r in found["reasons"] if r["code"] == "STALE_RESULTS"]
    assert (reason["property"], reason["promised"]) == ("frequency", "1 d")
    assert [o["productKey"] for o in w.mesh()["outOfSla"]] == [US]


def test_a_paused_product_is_paused_until_resumed(w: World) -> None:
    answer = httpx.post(f"{w.kit}/control/pause", headers={"authorization": "Bearer t"})
    assert answer.status_code == 200, answer.text
    found = w.until("PAUSED")
    assert found["state"] == "paused" and found["reasons"][0]["code"] == "PRODUCT_PAUSED"
    assert counts(w.mesh())["PAUSED"] == 1


def test_results_filter_by_since_and_rule_and_page(w: World) -> None:
    query = """query($id: ID!, $since: DateTime, $rule: String, $first: Int!, $after: String) {
      product(id: $id) { results(since: $since, rule: $rule, first: $first, after: $after) {
        totalCount nodes { property element criteria passed contractId }
        pageInfo { hasNextPage endCursor } } } }"""

    def results(**kw: Any) -> dict[str, Any]:
        body = w.query(query, {"id": US, "first": 20, **kw})
        assert not body.get("errors"), body
        found: dict[str, Any] = body["data"]["product"]["results"]
        return found

    everything = results(first=100)
    kit = w.kit_results()
    assert everything["totalCount"] == len(kit) > 2
    latency = results(rule="latency")
    assert latency["totalCount"] == sum(r["property"] == "latency" for r in kit) >= 1
    assert {n["property"] for n in latency["nodes"]} == {"latency"}
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert results(since=future)["totalCount"] == 0
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert results(since=past)["totalCount"] == len(kit)
    first = results(first=2)
    assert len(first["nodes"]) == 2 and first["pageInfo"]["hasNextPage"]
    rest = results(first=100, after=first["pageInfo"]["endCursor"])
    assert len(rest["nodes"]) == len(kit) - 2
    # The kit filters too (the gateway asks it with the same parameters).
    only = httpx.get(f"{w.kit}/observe/results", params={"rule": "LATENCY"}).json()["results"]
    assert only and {r["property"] for r in only} == {"latency"}
    assert httpx.get(f"{w.kit}/observe/results", params={"since": "soon"}).status_code == 400


def test_a_product_answering_100000_results_is_bounded(w: World) -> None:
    # Small items, so the answer fits under the byte cap (8 MB) and the count cap acts.
    noisy = [{"criteria": "dq", "property": f"r{i}", "passed": False} for i in range(100_000)]
    noisy[0]["property"] = "x" * 100_000
    w.relay.overrides["/observe/results"] = {"results": noisy}
    found = w.until("DEGRADED")
    assert len(found["reasons"]) <= 50
    assert all(len(r["message"]) <= 300 and len(r["rule"] or "") <= 100 for r in found["reasons"])
    body = w.query(
        """query($id: ID!) { product(id: $id) { results(first: 5) { totalCount } } }""",
        {"id": US},
    )
    assert body["data"]["product"]["results"]["totalCount"] == 10_000  # health_max_results
    notes = body["extensions"]["warnings"]
    assert [n["code"] for n in notes] == ["LIST_TRUNCATED"]


def test_a_stopped_product_gateway_is_down(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.until("UP")
        w.stop_relay()
        found = w.until("DOWN")
        assert [r["code"] for r in found["reasons"]] == ["UNREACHABLE"]
        assert found["reportedStatus"] is None  # nothing it said earlier is used
        mesh = w.mesh()
        assert counts(mesh)["DOWN"] == 1
        assert mesh["worstOffenders"][0]["productKey"] == US


def test_mesh_health_follows_the_registry_and_answers_without_calling_products(
    tmp_path: Path,
) -> None:
    # One refresh at start (nothing registered yet), the next in an hour: what is judged
    # before then was judged because it was registered.
    with world(tmp_path, health_refresh_seconds=3600.0) as w:
        mesh = w.mesh()
        deadline = time.monotonic() + WAIT
        while counts(mesh).get("UP", 0) < 2:  # both judged on registration
            assert time.monotonic() < deadline, f"not judged on registration: {mesh}"
            time.sleep(0.1)
            mesh = w.mesh()
        assert sum(counts(mesh).values()) == 2
        w.settle()  # the certifications that registering started read the product too
        before = w.relay.hits
        for _ in range(3):
            w.mesh()
        assert w.relay.hits == before  # answered from the kept verdicts
        # Unregistered, France leaves the verdicts and the counts at once.
        answer = httpx.delete(
            f"{w.gateway}/registry/products/{FR}", headers=w.issuer.headers(), timeout=30
        )
        assert answer.status_code == 200, answer.text
        deadline = time.monotonic() + WAIT
        while sum(counts(mesh := w.mesh()).values()) != 1:
            assert time.monotonic() < deadline, f"still judged after unregistering: {mesh}"
            time.sleep(0.1)
        assert counts(mesh)["UP"] == 1
        assert w.health()["status"] == "UP"
