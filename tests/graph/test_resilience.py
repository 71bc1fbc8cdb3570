"""A product that is down or slow nulls only its own fields, with a coded error naming it;
a cached copy, when there is one, is served with a staleness warning."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.settings import Settings
from productkit.http.app import create_product_app
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import DEMO, Mesh, demo_product_dirs, start_mesh

TRIO = ["us-precipitation", "france-precipitation", "global-precipitation"]
QUERY = """{ products(first: 50) { totalCount edges { node { id key name
  versions { version outputPorts { contract { name } } } } } } }"""


def trio() -> list[Path]:
    dirs = {d.name: d for d in demo_product_dirs()}
    return [dirs[n] for n in TRIO]


def product_id(name: str) -> str:
    import yaml

    return str(yaml.safe_load((DEMO / name / "product.yaml").read_text())["id"])


@pytest.fixture(params=["memory", "redis"])
def small_mesh(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Mesh]:
    # No fresh cache: every request goes to the products, a stale copy stays for an hour.
    cache: dict[str, Any] = {"cache_backend": request.param}
    if request.param == "redis":
        cache["redis_url"] = request.getfixturevalue("redis_url")
    with start_mesh(tmp_path, trio(), cache_ttl_seconds=0, **cache) as mesh:
        yield mesh


def nodes(body: dict) -> dict[str, dict]:
    return {e["node"]["key"]: e["node"] for e in body["data"]["products"]["edges"]}


def test_stopped_product_nulls_its_fields_and_is_named(tmp_path: Path) -> None:
    # No copy to fall back on: no fresh cache and no stale copies (the gateway's own
    # health and certification checks read each product from its registration on, and
    # would otherwise leave a stale copy of its documents).
    with start_mesh(tmp_path, trio(), cache_ttl_seconds=0, stale_ttl_seconds=0) as mesh:
        mesh.stop("france-precipitation")
        body = mesh.query(QUERY)
    listed = nodes(body)
    assert len(listed) == 3  # the registry still lists it
    assert listed["precipitation.france-precipitation"]["versions"] is None
    assert listed["precipitation.us-precipitation"]["versions"][0]["outputPorts"][0]["contract"]
    errors = body["errors"]
    assert errors, "a down product must be reported"
    france = product_id("france-precipitation")
    assert {e["extensions"]["productId"] for e in errors} == {france}
    assert {e["extensions"]["code"] for e in errors} == {"UPSTREAM_UNAVAILABLE"}
    assert all(e["path"][-1] == "versions" for e in errors)


def test_stale_copy_is_served_with_a_warning(small_mesh: Mesh) -> None:
    warm = small_mesh.query(QUERY)
    assert "errors" not in warm
    small_mesh.stop("france-precipitation")
    body = small_mesh.query(QUERY + " ")
    assert "errors" not in body, body.get("errors")
    france = nodes(body)["precipitation.france-precipitation"]
    assert france["versions"] == nodes(warm)["precipitation.france-precipitation"]["versions"]
    warnings = body["extensions"]["warnings"]
    assert {w["productId"] for w in warnings} == {product_id("france-precipitation")}
    assert {w["code"] for w in warnings} == {"STALE_DATA"}
    stale = small_mesh.query('{ product(id: "precipitation.france-precipitation") { stale } }')
    assert stale["data"]["product"]["stale"] is True


class Slow:
    """A real product gateway behind a real delay: the fault a slow network makes."""

    def __init__(self, app: ASGIApp, delay: float) -> None:
        self.app, self.delay = app, delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self.delay)
        await self.app(scope, receive, send)


def test_slow_product_times_out_and_the_rest_completes(tmp_path: Path) -> None:
    dirs = trio()
    with contextlib.ExitStack() as stack:
        fast = stack.enter_context(running(create_product_app(dirs[0], token="t", env={})))
        slow_app = Slow(create_product_app(dirs[1], token="t", env={}), 0.0)
        slow = stack.enter_context(running(slow_app))
        issuer = TestIssuer(tmp_path / "auth")
        settings = Settings(
            registry_url=f"sqlite:///{tmp_path / 'r.db'}",
            cache_ttl_seconds=0,
            stale_ttl_seconds=0.001,
            upstream_read_timeout=0.5,
            upstream_allowed_networks=LOOPBACK_ONLY,
            **issuer.settings(),
        )
        gateway = stack.enter_context(running(create_app(settings)))
        for base in (fast, slow):
            answer = httpx.post(
                f"{gateway}/registry/products",
                json={"url": f"{base}/discover/metadata"},
                headers=issuer.headers(),
            )
            assert answer.status_code == 201, answer.text
        slow_app.delay = 2.0
        body = httpx.post(f"{gateway}/graphql", json={"query": QUERY}, timeout=30).json()
    listed = nodes(body)
    assert listed["precipitation.us-precipitation"]["versions"]
    assert listed["precipitation.france-precipitation"]["versions"] is None
    codes = {(e["extensions"]["code"], e["extensions"]["productId"]) for e in body["errors"]}
    assert codes == {("UPSTREAM_TIMEOUT", product_id("france-precipitation"))}
