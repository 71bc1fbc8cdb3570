"""The graph follows a product's links only under its base URL, and shows a contract only
when the answer is one (issue 6, hole 3).

A hostile product registers honestly, then changes its answers: its health, artifacts
and contract links point at another server (one the gateway can reach and the caller
cannot: here a "credentials" service on another port), or its contract link serves that
kind of JSON itself. The gateway refuses each with a code, the other server counts no
request, and no byte of the foreign answer reaches the caller.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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

SECRET = "AKIA-credentials-7d1e"


@dataclass
class Hostile:
    """A real kit product served through a proxy that rewrites what a test says."""

    kit: str
    patch_metadata: Callable[[str, dict[str, Any]], None] | None = None
    overrides: dict[str, Any] = field(default_factory=dict)  # path -> JSON served instead

    def app(self) -> Starlette:
        async def relay(request: Request) -> Response:
            path = request.url.path
            if path in self.overrides:
                return JSONResponse(self.overrides[path])
            # The kit builds its links from the Host header: keep the proxy's.
            async with httpx.AsyncClient() as http:
                answer = await http.get(
                    self.kit + path,
                    params=dict(request.query_params),
                    headers={"host": request.headers["host"]},
                )
            if path == "/discover/metadata" and self.patch_metadata is not None:
                data = answer.json()
                self.patch_metadata(str(request.base_url).rstrip("/"), data)
                return JSONResponse(data)
            kind = answer.headers.get("content-type", "application/json")
            return Response(answer.content, status_code=answer.status_code, media_type=kind)

        return Starlette(routes=[Route("/{path:path}", relay)])


@dataclass
class World:
    gateway: str
    hostile: Hostile
    hostile_base: str
    secret_base: str
    secret_hits: list[str]
    contract: tuple[str, str]  # (id, version) of the product's output contract
    admin: dict[str, str]  # credentials that may register the product

    def register(self) -> None:
        """Register the product again (a refresh): the registry learns its links now."""
        answer = httpx.post(
            f"{self.gateway}/registry/products",
            json={"url": self.hostile_base},
            headers=self.admin,
            timeout=30,
        )
        assert answer.status_code == 201, answer.text

    def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.gateway}/graphql", json={"query": query, "variables": variables}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    hits: list[str] = []

    async def credentials(request: Request) -> Response:
        hits.append(request.url.path)
        return JSONResponse({"id": "x", "accessKey": SECRET})

    folder: Path = DEMO / "us-precipitation"
    tmp = tmp_path_factory.mktemp("outbound")
    with contextlib.ExitStack() as stack:
        secret = stack.enter_context(
            running(Starlette(routes=[Route("/{path:path}", credentials)]), lifespan="off")
        )
        kit = stack.enter_context(running(create_product_app(folder, token="t", env={})))
        hostile = Hostile(kit)
        hostile_base = stack.enter_context(running(hostile.app(), lifespan="off"))
        issuer = TestIssuer(tmp / "auth")
        settings = Settings(
            registry_url=f"sqlite:///{tmp / 'registry.db'}",
            cache_ttl_seconds=0,
            # No certifier following the registry: it reads the contract through the
            # graph's fetcher after each registration, and a query that joins a read begun
            # before a test changed the product's answer is (rightly) given the earlier one.
            certification_interval_seconds=0,
            upstream_allowed_networks=LOOPBACK_ONLY,
            **issuer.settings(),
        )
        gateway = stack.enter_context(running(create_app(settings)))
        first = httpx.get(f"{hostile_base}/discover/metadata").json()["contracts"][0]
        found = World(
            gateway, hostile, hostile_base, secret, hits, (first["id"], first["version"]),
            issuer.headers(),
        )  # fmt: skip
        found.register()
        yield found


@pytest.fixture
def fresh(world: World) -> Iterator[World]:
    """The world with the product honest again and the counter at zero after the test."""
    world.secret_hits.clear()
    yield world
    world.hostile.patch_metadata = None
    world.hostile.overrides.clear()
    world.register()  # its honest links stored again


def codes(body: dict[str, Any]) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors", [])}


PRODUCT = "query($id: ID!) { product(id: $id) { %s } }"


def product_key(world: World) -> str:
    body = world.query("{ products(first: 5) { edges { node { key } } } }")
    keys: list[str] = [e["node"]["key"] for e in body["data"]["products"]["edges"]]
    assert len(keys) == 1
    return keys[0]


def test_the_honest_product_answers(fresh: World) -> None:
    key = product_key(fresh)
    body = fresh.query(PRODUCT % "health { status } artifacts { id }", {"id": key})
    assert "errors" not in body, body
    assert body["data"]["product"]["health"]["status"]
    assert fresh.secret_hits == []


LINKED = [("health", "health { status source }"), ("artifacts", "artifacts { id }")]


@pytest.mark.parametrize(("link", "field"), LINKED)
@pytest.mark.parametrize("away", ["secret", "file:///etc/passwd"])
def test_a_link_to_another_server_is_refused_unfetched(
    fresh: World, link: str, field: str, away: str
) -> None:
    """The product registers (or refreshes) with its health or artifacts link on another
    server, or on a file: the link is stored, and refused when followed."""
    target = f"{fresh.secret_base}/latest/meta-data" if away == "secret" else away

    def point_away(base: str, data: dict[str, Any]) -> None:
        data["links"][link] = target

    fresh.hostile.patch_metadata = point_away
    fresh.register()
    body = fresh.query(PRODUCT % field, {"id": product_key(fresh)})
    assert codes(body) == {"UPSTREAM_LINK_REFUSED"}
    assert fresh.secret_hits == []
    text = json.dumps(body)
    assert fresh.secret_base not in text and SECRET not in text and target not in text


@pytest.mark.parametrize(("link", "field"), LINKED)
def test_a_link_changed_after_registration_is_learnt_at_refresh(
    fresh: World, link: str, field: str
) -> None:
    """Links are read from the registry, not from each metadata answer: a product that
    changes its links after registering is followed where it registered them until it
    is refreshed, and then its new link is judged like any other."""

    def point_away(base: str, data: dict[str, Any]) -> None:
        data["links"][link] = f"{fresh.secret_base}/latest/meta-data"

    fresh.hostile.patch_metadata = point_away
    key = product_key(fresh)
    body = fresh.query(PRODUCT % field, {"id": key})
    assert "errors" not in body, body
    if link == "health":
        assert body["data"]["product"]["health"]["source"] == (
            f"{fresh.hostile_base}/observe/health"
        )
    fresh.register()
    assert codes(fresh.query(PRODUCT % field, {"id": key})) == {"UPSTREAM_LINK_REFUSED"}
    assert fresh.secret_hits == []


def test_a_port_href_to_another_server_is_refused_unfetched(fresh: World) -> None:
    def point_away(base: str, data: dict[str, Any]) -> None:
        for version in data["versions"]:
            for port in version["out"]:
                port["href"] = f"{fresh.secret_base}/credentials"

    fresh.hostile.patch_metadata = point_away
    body = fresh.query(
        PRODUCT % "versions { outputPorts { contract { id raw } } }", {"id": product_key(fresh)}
    )
    assert codes(body) == {"UPSTREAM_LINK_REFUSED"}
    assert fresh.secret_hits == []
    assert SECRET not in json.dumps(body)


def test_contract_raw_is_never_an_answer_that_is_not_the_contract(fresh: World) -> None:
    """The registered contract link now serves other JSON (with the right id and
    version, even): no field of the contract, raw or typed, shows any of it."""
    cid, version = fresh.contract
    path = f"/discover/contracts/{cid}/{version}"
    fresh.hostile.overrides[path] = {"id": cid, "version": version, "accessKey": SECRET}
    body = fresh.query(
        "query($id: ID!, $v: String) { contract(id: $id, version: $v) { id name raw } }",
        {"id": cid, "v": version},
    )
    assert codes(body) == {"INVALID_DESCRIPTOR"}
    assert body["data"]["contract"] is None
    assert SECRET not in json.dumps(body)


def test_a_port_href_under_the_base_that_is_not_a_contract_shows_nothing(fresh: World) -> None:
    fresh.hostile.overrides["/internal/credentials"] = {"kind": "DataContract", "key": SECRET}

    def point_inside(base: str, data: dict[str, Any]) -> None:
        for version in data["versions"]:
            for port in version["out"]:
                port["href"] = f"{base}/internal/credentials"

    fresh.hostile.patch_metadata = point_inside
    body = fresh.query(
        PRODUCT % "versions { outputPorts { contract { id raw } } }", {"id": product_key(fresh)}
    )
    assert codes(body) == {"INVALID_DESCRIPTOR"}
    assert SECRET not in json.dumps(body)
