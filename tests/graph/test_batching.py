"""Per-request DataLoaders: each product document is fetched once per request, however
many fields need it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.graph.conftest import Mesh, start_mesh
from tests.graph.test_resilience import trio

ROUTES = ("/discover/metadata", "/discover/contracts/{id}/{version}")


def counts(base: str) -> dict[str, int]:
    by_route = httpx.get(f"{base}/observe/metrics").json()["requests"]["byRoute"]
    return {r: int(by_route.get(r, 0)) for r in ROUTES}


@pytest.fixture
def uncached_mesh(tmp_path: Path) -> Iterator[Mesh]:
    with start_mesh(tmp_path, trio(), cache_ttl_seconds=0) as mesh:
        yield mesh


def test_one_fetch_per_document_per_request(uncached_mesh: Mesh) -> None:
    us = uncached_mesh.products["us-precipitation"]
    query = """{
      a: product(id: "precipitation.us-precipitation") {
        name state versions { outputPorts { contract { name } } } contracts { id } }
      b: product(id: "precipitation.us-precipitation") { links { health } stale }
      g: product(id: "precipitation.global-precipitation") {
        versions { inputPorts { contract { name } product { key } } } }
    }"""
    before = counts(us)
    body = uncached_mesh.query(query)
    assert "errors" not in body, body.get("errors")
    after = counts(us)
    delta = {route: after[route] - before[route] for route in ROUTES}
    contracts_of_us = len(body["data"]["a"]["contracts"])
    assert delta == {"/discover/metadata": 1, ROUTES[1]: contracts_of_us}


def test_next_request_fetches_again_when_nothing_is_fresh(uncached_mesh: Mesh) -> None:
    us = uncached_mesh.products["us-precipitation"]
    query = '{ product(id: "precipitation.us-precipitation") { state } }'
    before = counts(us)["/discover/metadata"]
    uncached_mesh.query(query)
    uncached_mesh.query(query)
    assert counts(us)["/discover/metadata"] - before == 2
