"""Issue 9's first "done when": one GraphQL query (the example of docs/trust.md) returns,
for global precipitation, its health with reasons, its certification report with
history, its upstream lineage to the source products with column edges, and who would
be told if the US product failed. Every expected value is read from the demo folders'
YAML (ids, input ports, contracts' transform sources, teams), not from the answer."""

from __future__ import annotations

from typing import Any

import yaml

from gateway.certification import load_policies
from tests.graph.conftest import DEMO, ROOT, Mesh

GLOBAL_DIR, US_DIR = "global-precipitation", "us-precipitation"


def _product(folder: str) -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load((DEMO / folder / "product.yaml").read_text())
    return found


def _key(product: dict[str, Any]) -> str:
    slug = next(p["value"] for p in product["customProperties"] if p["property"] == "slug")
    return f"{product['domain']}.{slug}"


def _all() -> dict[str, dict[str, Any]]:
    return {p.parent.name: _product(p.parent.name) for p in DEMO.glob("*/product.yaml")}


def _consumers(products: dict[str, dict[str, Any]], folder: str) -> list[str]:
    """The folders whose input ports read a contract ``folder`` publishes."""
    published = {port["contractId"] for port in products[folder].get("outputPorts", [])}
    return sorted(
        name
        for name, p in products.items()
        if published & {port["contractId"] for port in p.get("inputPorts", [])}
    )


def _downstream(products: dict[str, dict[str, Any]], folder: str) -> list[str]:
    """``folder`` and every folder downstream of it, nearest first."""
    seen, frontier = [folder], [folder]
    while frontier:
        nxt = [c for f in frontier for c in _consumers(products, f) if c not in seen]
        seen.extend(dict.fromkeys(nxt))
        frontier = nxt
    return seen


def _derived(folder: str) -> set[tuple[str, str]]:
    """(source column node, column node) of every transform source in the contracts."""
    key = _key(_product(folder))
    pairs = set()
    for path in sorted((DEMO / folder / "contracts").glob("*.yaml")):
        contract = yaml.safe_load(path.read_text())
        for table in contract.get("schema", []):
            for column in table.get("properties", []):
                for source in column.get("transformSourceObjects", []):
                    target = f"column:{key}.{table['name']}.{column['name']}"
                    pairs.add((f"column:{source}", target))
    return pairs


def _trust_query() -> str:
    text = (ROOT / "docs" / "trust.md").read_text()
    return text.split("```graphql\n", 1)[1].split("```", 1)[0]


def test_one_query_answers_health_certification_lineage_and_impact(mesh: Mesh) -> None:
    products = _all()
    glob, us = products[GLOBAL_DIR], products[US_DIR]
    certified = mesh.query(
        "mutation($p: ID!) { certifyProduct(product: $p) { checkedAt } }", {"p": glob["id"]}
    )
    assert "errors" not in certified, certified
    checked_at = certified["data"]["certifyProduct"]["checkedAt"]

    body = mesh.query(_trust_query())
    assert "errors" not in body, body
    data = body["data"]

    # The product, named by its key in the example.
    assert (data["product"]["id"], data["product"]["key"]) == (glob["id"], _key(glob))

    # Health with reasons: the demo product honours its contract.
    health = data["product"]["health"]
    assert (health["status"], health["reasons"]) == ("UP", []), health
    assert health["checkedAt"]

    # Certification: every mesh policy judged, with evidence; history has the evaluation.
    certification = data["product"]["certification"]
    mesh_policies = {r["policy"] for r in certification["report"] if r["source"] == "MESH"}
    assert mesh_policies == {p.id for p in load_policies().policies}
    assert all(r["evidence"] for r in certification["report"])
    history = certification["history"]
    assert checked_at in [h["checkedAt"] for h in history]
    assert (history[0]["status"], history[0]["level"]) == (
        certification["status"],
        certification["level"],
    )

    # Upstream lineage: the products its input ports read, and its columns' sources.
    lineage = data["lineage"]
    sources = {products[f]["id"] for f in products if GLOBAL_DIR in _consumers(products, f)}
    assert sources == {us["id"], products["france-precipitation"]["id"]}  # the YAML says so
    inputs = {(e["from"], e["to"]) for e in lineage["edges"] if e["kind"] == "INPUT"}
    assert inputs == {(f"product:{s}", f"product:{glob['id']}") for s in sources}
    derived = {
        (e["from"], e["to"])
        for e in lineage["edges"]
        if e["kind"] == "DERIVES" and e["to"].startswith(f"column:{_key(glob)}.")
    }
    assert derived == _derived(GLOBAL_DIR) and derived
    ids = {n["id"] for n in lineage["nodes"]}
    assert {f"product:{s}" for s in sources} <= ids
    assert {e["from"] for e in lineage["edges"]} | {e["to"] for e in lineage["edges"]} <= ids
    assert not lineage["truncated"]

    # Impact of the US product: it and everything downstream, and all their people.
    impact = data["impact"]
    hit = _downstream(products, US_DIR)
    assert GLOBAL_DIR in hit
    assert [p["product"]["key"] for p in impact["products"]] == [_key(products[f]) for f in hit]
    team = {m["username"] for f in hit for m in products[f]["team"]["members"]}
    told = {s["username"] for s in impact["subscribers"] if s["kind"] == "team"}
    assert told == team
    channels = {c["channel"] for f in hit for c in products[f].get("support", [])}
    assert channels <= {s["name"] for s in impact["subscribers"] if s["kind"] == "support"}
    assert {m["username"] for m in glob["team"]["members"]} <= told
