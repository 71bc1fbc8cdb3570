"""Every limit is on by default and answers with an exact, coded message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.settings import Settings
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import running


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> TestIssuer:
    return TestIssuer(tmp_path_factory.mktemp("auth"))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory, issuer: TestIssuer) -> Iterator[str]:
    """One gateway for the module: every request below is refused, so its mesh stays
    empty whatever order the tests run in (starting one per test cost more than them)."""
    settings = Settings(
        registry_url=f"sqlite:///{tmp_path_factory.mktemp('registry') / 'r.db'}",
        max_query_depth=4,
        max_aliases=2,
        max_query_bytes=300,
        **issuer.settings(),
    )
    with running(create_app(settings)) as base:
        yield base


def post(gateway: str, query: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    answer = httpx.post(f"{gateway}/graphql", json={"query": query}, headers=headers, timeout=10)
    body: dict[str, Any] = answer.json()
    return body


def test_empty_mesh_answers(gateway: str) -> None:
    body = post(gateway, "{ products { totalCount edges { cursor } } domains { name } }")
    assert body == {"data": {"products": {"totalCount": 0, "edges": []}, "domains": []}}


def test_depth_limit(gateway: str) -> None:
    body = post(gateway, "{ products { edges { node { versions { outputPorts { version } } } } } }")
    assert "exceeds maximum operation depth of 4" in body["errors"][0]["message"]


def test_alias_limit(gateway: str) -> None:
    body = post(gateway, "{ a: domains { name } b: domains { name } c: domains { name } }")
    assert "3 aliases found. Allowed: 2" in body["errors"][0]["message"]


def test_size_limit(gateway: str) -> None:
    body = post(gateway, "{ domains { name } }" + " " * 400)
    error = body["errors"][0]
    assert error["message"] == "the document is 420 bytes; at most 300 are accepted"
    assert error["extensions"]["code"] == "QUERY_TOO_LARGE"


def test_register_with_a_bad_url_names_what_was_expected(gateway: str, issuer: TestIssuer) -> None:
    body = post(gateway, 'mutation { registerProduct(url: "ftp://x/y") { id } }', issuer.headers())
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "http" in error["message"]


def test_unknown_product_mutation_is_not_found(gateway: str, issuer: TestIssuer) -> None:
    body = post(gateway, 'mutation { unregisterProduct(id: "a.b") { id } }', issuer.headers())
    assert body["errors"][0]["extensions"]["code"] == "PRODUCT_NOT_FOUND"


def test_registration_route_rejects_bad_bodies(gateway: str, issuer: TestIssuer) -> None:
    admin = issuer.headers()
    answer = httpx.post(
        f"{gateway}/registry/products",
        content=b"nope",
        headers={**admin, "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "BAD_REQUEST"
    answer = httpx.post(f"{gateway}/registry/products", json={"link": "x"}, headers=admin)
    assert "url: expected a string" in answer.json()["error"]["message"]
