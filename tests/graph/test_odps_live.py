"""The graph reads a product's ODPS document live, and judges it itself.

A hand-written product gateway (a real server, no kit) says what a lying product would:
warnings it invented, none of its contract's real ones; later, a descriptor that is no
longer valid. The graph shows the warnings it computed from the documents it parsed, and
refuses to show parts of an invalid descriptor.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from contracts.odps_limits import MAX_ITEMS
from gateway.settings import Settings
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running

PRODUCT_ID = "3c1e6b2a-0f4d-4e59-9a7c-2b8d5e1f6a44"
CONTRACT_ID = "lying-contract"

CONTRACT = {
    "apiVersion": "v3.1.0",
    "kind": "DataContract",
    "id": CONTRACT_ID,
    "version": "1.0.0",
    "status": "active",
    "schema": [
        {
            "name": "t",
            "properties": [
                {"name": "a", "logicalType": "string", "primaryKey": True, "primaryKeyPosition": 1},
                {"name": "b", "logicalType": "string", "primaryKeyPosition": 2},
            ],
        }
    ],
}

DESCRIPTOR: dict[str, Any] = {
    "apiVersion": "v1.0.0",
    "kind": "DataProduct",
    "id": PRODUCT_ID,
    "name": "Liar",
    "domain": "hostile",
    "status": "active",
    "outputPorts": [{"name": "t", "version": "1.0.0", "contractId": CONTRACT_ID}],
}


@dataclass
class Liar:
    """What the product serves now (tests change it after registration)."""

    base: str = ""
    descriptor: dict[str, Any] = field(default_factory=lambda: dict(DESCRIPTOR))

    def app(self) -> Starlette:
        async def metadata(request: Request) -> JSONResponse:
            href = f"{self.base}/discover/contracts/{CONTRACT_ID}/1.0.0"
            return JSONResponse(
                {
                    "id": PRODUCT_ID,
                    "descriptor": self.descriptor,
                    "descriptorForm": "v1.0.0",
                    "contracts": [{"id": CONTRACT_ID, "version": "1.0.0", "href": href}],
                    # What a product says of itself: invented, and silent on the real one.
                    "warnings": [
                        {"document": "product.yaml", "path": "$", "message": "all is fine",
                         "code": "invented"}
                    ],
                }
            )  # fmt: skip

        async def contract(request: Request) -> JSONResponse:
            return JSONResponse(CONTRACT)

        return Starlette(
            routes=[
                Route("/discover/metadata", metadata),
                Route(f"/discover/contracts/{CONTRACT_ID}/1.0.0", contract),
            ]
        )


@dataclass
class Setup:
    gateway: str
    liar: Liar
    issuer: TestIssuer

    def product(self, fields: str) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.gateway}/graphql",
            json={"query": f'{{ product(id: "{PRODUCT_ID}") {{ {fields} }} }}'},
            headers=self.issuer.headers(),
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    liar = Liar()
    issuer = TestIssuer(tmp_path / "auth")
    config = Settings(
        registry_url=f"sqlite:///{tmp_path / 'registry.db'}",
        upstream_allowed_networks=LOOPBACK_ONLY,
        cache_ttl_seconds=0,  # every read asks the product: it changes between requests
        **issuer.settings(),
    )
    with contextlib.ExitStack() as stack:
        liar.base = stack.enter_context(running(liar.app()))
        gateway = stack.enter_context(running(create_app(config)))
        answer = httpx.post(
            f"{gateway}/registry/products",
            json={"url": f"{liar.base}/discover/metadata"},
            headers=issuer.headers(),
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        yield Setup(gateway, liar, issuer)


def test_warnings_are_computed_not_taken_from_the_product(setup: Setup) -> None:
    body = setup.product("warnings { document contractId contractVersion path code message }")
    warnings = body["data"]["product"]["warnings"]
    assert "invented" not in {w["code"] for w in warnings}
    assert [
        (w["document"], w["contractId"], w["contractVersion"], w["path"]) for w in warnings
    ] == [("contract", CONTRACT_ID, "1.0.0", "schema[0].properties[1].primaryKeyPosition")]


def test_a_descriptor_that_turned_invalid_is_refused_on_its_fields(setup: Setup) -> None:
    assert setup.product("outputPorts { totalCount }")["data"]["product"]["outputPorts"] == {
        "totalCount": 1
    }
    setup.liar.descriptor = {**DESCRIPTOR, "outputPorts": "not a list"}
    body = setup.product("name outputPorts { totalCount } definition")
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_DESCRIPTOR"
    assert error["path"] == ["product", "outputPorts"]
    assert setup.liar.base not in error["message"]  # no upstream URL in the message
    assert body["data"] is None or body["data"]["product"] is None
    # What the product serves stays readable as served.
    body = setup.product("definition")
    assert body["data"]["product"]["definition"]["outputPorts"] == "not a list"


def test_a_live_descriptor_with_too_many_ports_is_refused(setup: Setup) -> None:
    ports = [{"name": f"p{i}", "version": "1.0.0"} for i in range(MAX_ITEMS + 1)]
    setup.liar.descriptor = {**DESCRIPTOR, "outputPorts": ports}
    body = setup.product("outputPorts(first: 1) { totalCount }")
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INVALID_DESCRIPTOR"
    assert "items" in error["message"]
