"""Per-request DataLoaders: each product document is fetched once per request, however
many fields need it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.graph.conftest import Mesh, start_mesh
from tests.graph.test_resilience import trio

ROUTES = ("/discover/metadata", "/discover/contracts/{id}/{version}", "/observe/health")


def counts(base: str) -> dict[str, int]:
    by_route = httpx.get(f"{base}/observe/metrics").json()["requests"]["byRoute"]
    return {r: int(by_route.get(r, 0)) for r in ROUTES}


@pytest.fixture
def uncached_mesh(tmp_path: Path) -> Iterator[Mesh]:
    # No certification rounds: they read metadata in the background, counted below.
    settings = {"cache_ttl_seconds": 0, "certification_interval_seconds": 0}
    with start_mesh(tmp_path, trio(), **settings) as mesh:
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
    assert delta == {"/discover/metadata": 1, ROUTES[1]: contracts_of_us, ROUTES[2]: 0}


def test_next_request_fetches_again_when_nothing_is_fresh(uncached_mesh: Mesh) -> None:
    us = uncached_mesh.products["us-precipitation"]
    query = '{ product(id: "precipitation.us-precipitation") { state } }'
    before = counts(us)["/discover/metadata"]
    uncached_mesh.query(query)
    uncached_mesh.query(query)
    assert counts(us)["/discover/metadata"] - before == 2


def test_health_reads_the_stored_link_without_the_metadata(uncached_mesh: Mesh) -> None:
    """The health document is fetched at once from the link the registry stored, not
    after a round trip for the metadata that names it (issue 10)."""
    us = uncached_mesh.products["us-precipitation"]
    query = '{ product(id: "precipitation.us-precipitation") { health { reportedStatus } } }'
    before = counts(us)
    for _ in range(3):
        body = uncached_mesh.query(query)
        assert body["data"]["product"]["health"]["reportedStatus"], body
    after = counts(us)
    assert after["/discover/metadata"] == before["/discover/metadata"]
    assert after["/observe/health"] - before["/observe/health"] >= 3
