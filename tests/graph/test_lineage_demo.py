"""Lineage on the demo mesh: global precipitation's upstream reaches the US and France
products, with the column edges its contracts declare (issue 9's "done when")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.graph.conftest import ROOT, Mesh

GLOBAL = "303dc6c6-3763-4e71-9ecb-7df268720de7"
US = "da6025e9-695b-4022-85ee-695fc2aa0004"
FRANCE = "3143462c-800a-4c75-9803-26b46dad6c8d"

LINEAGE = """
query ($of: ID!, $direction: LineageDirection, $depth: Int) {
  lineage(of: $of, direction: $direction, depth: $depth) {
    nodes { id kind name product }
    edges { from to kind origin via }
    truncated
  }
}
"""


@pytest.fixture
def mesh(files_mesh: Mesh) -> Mesh:
    """The demo mesh the session starts once: these tests only read it."""
    return files_mesh


def lineage(mesh: Mesh, of: str, direction: str = "UPSTREAM", **kw: Any) -> dict[str, Any]:
    body = mesh.query(LINEAGE, {"of": of, "direction": direction, **kw})
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["lineage"]
    return found


def test_global_precipitation_upstream_reaches_both_sources_with_column_edges(mesh: Mesh) -> None:
    found = lineage(mesh, f"product:{GLOBAL}")
    ids = {n["id"] for n in found["nodes"]}
    assert {f"product:{US}", f"product:{FRANCE}"} <= ids
    inputs = {(e["from"], e["to"]) for e in found["edges"] if e["kind"] == "INPUT"}
    assert inputs == {
        (f"product:{US}", f"product:{GLOBAL}"),
        (f"product:{FRANCE}", f"product:{GLOBAL}"),
    }
    derived = {(e["from"], e["to"]) for e in found["edges"] if e["kind"] == "DERIVES"}
    us_in = "column:precipitation.us-precipitation.us_daily_precipitation.precipitation_in"
    fr_mm = "column:precipitation.france-precipitation.fr_daily_precipitation.precipitation_mm"
    mm = "column:precipitation.global-precipitation.global_daily_precipitation.precipitation_mm"
    assert (us_in, mm) in derived and (fr_mm, mm) in derived
    assert all(e["origin"] == "DECLARED" for e in found["edges"])
    # Every edge joins two nodes of the answer: a client can draw it as it is.
    assert {e["from"] for e in found["edges"]} | {e["to"] for e in found["edges"]} <= ids
    kinds = {n["id"]: n["kind"] for n in found["nodes"]}
    assert kinds[us_in] == "COLUMN" and kinds[f"product:{US}"] == "PRODUCT"
    products = {n["id"]: n["product"] for n in found["nodes"]}
    assert products[us_in] == US and products[mm] == GLOBAL


def test_a_product_can_be_named_by_its_key(mesh: Mesh) -> None:
    found = lineage(mesh, "precipitation.global-precipitation", depth=1)
    assert found["nodes"][0]["id"] == f"product:{GLOBAL}"


def test_downstream_of_a_source_product_reaches_the_consumer_product(mesh: Mesh) -> None:
    found = lineage(mesh, f"product:{US}", "DOWNSTREAM", depth=1)
    assert {n["id"] for n in found["nodes"]} == {f"product:{US}", f"product:{GLOBAL}"}


def test_who_would_be_told_if_the_us_product_failed(mesh: Mesh) -> None:
    body = mesh.query(
        "query ($of: ID!) { impact(of: $of) { products { product { key } path } "
        "subscribers { kind name username } } }",
        {"of": US},
    )
    assert "errors" not in body, body
    found = body["data"]["impact"]
    keys = [p["product"]["key"] for p in found["products"]]
    assert keys == ["precipitation.us-precipitation", "precipitation.global-precipitation"]
    assert found["products"][1]["path"] == [f"product:{US}", f"product:{GLOBAL}"]
    told = {s["username"] for s in found["subscribers"] if s["kind"] == "team"}
    assert told == {
        "maya.okafor@climate-quantum.example",
        "sofia.marchetti@climate-quantum.example",
    }
    assert "#global-precipitation" in {s["name"] for s in found["subscribers"]}


def test_the_example_of_docs_lineage_answers_as_it_says(mesh: Mesh) -> None:
    text = (ROOT / "docs" / "lineage.md").read_text()
    example = text.split("```graphql\n", 1)[1].split("```", 1)[0]
    body = mesh.query(example)
    assert "errors" not in body, body
    edges = body["data"]["lineage"]["edges"]
    assert {
        "from": f"product:{US}",
        "to": f"product:{GLOBAL}",
        "kind": "INPUT",
        "origin": "DECLARED",
        "via": "06648f07-b3d9-4eb9-a990-6065fccce778@1.0.0",
    } in edges
    us_in = "column:precipitation.us-precipitation.us_daily_precipitation.precipitation_in"
    mm = "column:precipitation.global-precipitation.global_daily_precipitation.precipitation_mm"
    assert any(e["from"] == us_in and e["to"] == mm and e["kind"] == "DERIVES" for e in edges)
