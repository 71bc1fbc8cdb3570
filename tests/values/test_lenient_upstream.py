"""A product whose JSON holds the bare word ``NaN`` (Python's ``json.dumps`` writes it;
Python's ``json.loads`` reads it): the graph's answer stays strict JSON, the value the
string ``"NaN"`` (docs/values.md), instead of passing the bare word on to clients."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.settings import Settings
from productkit.http.app import create_product_app
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import DEMO
from tests.values.test_sql_values import strict_json

CONTRACT = "query($id: ID!, $v: String) { contract(id: $id, version: $v) { id raw } }"


def lenient_proxy(kit: str) -> Starlette:
    """The kit's answers, with a ``NaN`` and an ``Infinity`` added to its contracts."""

    async def relay(request: Request) -> Response:
        path = request.url.path
        async with httpx.AsyncClient() as http:
            answer = await http.get(
                kit + path,
                params=dict(request.query_params),
                headers={"host": request.headers["host"]},
            )
        if not path.startswith("/discover/contracts/"):
            kind = answer.headers.get("content-type", "application/json")
            return Response(answer.content, status_code=answer.status_code, media_type=kind)
        data = answer.json()
        data["customProperties"] = [
            {"property": "missingRatio", "value": float("nan")},
            {"property": "ceiling", "value": float("inf")},
        ]
        return Response(json.dumps(data), media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", relay)])


@pytest.fixture(scope="module")
def lenient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str], Any]]:
    tmp = tmp_path_factory.mktemp("lenient")
    with contextlib.ExitStack() as stack:
        kit = stack.enter_context(
            running(create_product_app(DEMO / "us-precipitation", token="t", env={}))
        )
        proxy = stack.enter_context(running(lenient_proxy(kit), lifespan="off"))
        issuer = TestIssuer(tmp / "auth")
        settings = Settings(
            registry_url=f"sqlite:///{tmp / 'registry.db'}",
            upstream_allowed_networks=LOOPBACK_ONLY,
            **issuer.settings(),
        )
        gateway = stack.enter_context(running(create_app(settings)))
        answer = httpx.post(
            f"{gateway}/registry/products",
            json={"url": proxy},
            headers=issuer.headers(),
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        first = httpx.get(f"{proxy}/discover/metadata").json()["contracts"][0]
        yield gateway, issuer.headers(), first


def test_a_nan_from_a_product_leaves_as_a_string(lenient: tuple[str, dict[str, str], Any]) -> None:
    gateway, headers, contract = lenient
    answer = httpx.post(
        f"{gateway}/graphql",
        json={"query": CONTRACT, "variables": {"id": contract["id"], "v": contract["version"]}},
        headers=headers,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    body = strict_json(answer.text)
    assert "errors" not in body, body
    custom = body["data"]["contract"]["raw"]["customProperties"]
    assert custom == [
        {"property": "missingRatio", "value": "NaN"},
        {"property": "ceiling", "value": "Infinity"},
    ]
