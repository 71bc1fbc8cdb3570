"""The graph over the whole demo mesh, through HTTP, as a client sees it."""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from tests.graph.conftest import DEMO, Mesh, demo_product_dirs

ISSUE_QUERY = """{ products(first: 50) { totalCount edges { node { id name
  domain owner versions { outputPorts { contract { schema { name properties { name
  logicalType quality { dimension } } } } } } } } } }"""


@pytest.fixture
def mesh(files_mesh: Mesh) -> Mesh:
    """The demo mesh the session starts once: these tests only read it."""
    return files_mesh


def descriptors() -> dict[str, dict]:
    return {d.name: yaml.safe_load((d / "product.yaml").read_text()) for d in demo_product_dirs()}


def contract_files() -> dict[tuple[str, str], dict]:
    found = {}
    for path in DEMO.glob("*/contracts/*.y*ml"):
        doc = yaml.safe_load(path.read_text())
        found[(doc["id"], doc["version"])] = doc
    return found


def test_issue_query_answers_for_every_product(mesh: Mesh) -> None:
    body = mesh.query(ISSUE_QUERY)
    assert "errors" not in body, body.get("errors")
    products = body["data"]["products"]
    expected = descriptors()
    assert products["totalCount"] == len(expected) >= 8
    by_id = {e["node"]["id"]: e["node"] for e in products["edges"]}
    assert set(by_id) == {d["id"] for d in expected.values()}
    contracts = contract_files()
    for descriptor in expected.values():
        node = by_id[descriptor["id"]]
        assert node["name"] == descriptor["name"] and node["domain"] == descriptor["domain"]
        owners = [m for m in descriptor["team"]["members"] if m["role"] == "owner"]
        assert node["owner"] == owners[0]["name"]
        outs = descriptor["outputPorts"]  # ODPS v1.0.0: one port per contract version
        ports = [p for v in node["versions"] for p in v["outputPorts"]]
        assert len(ports) == len(outs)
        for ref, port in zip(outs, ports, strict=True):
            written = contracts[(ref["contractId"], ref["version"])]
            tables = port["contract"]["schema"]
            assert [t["name"] for t in tables] == [t["name"] for t in written["schema"]]
            for table, raw in zip(tables, written["schema"], strict=True):
                assert [p["name"] for p in table["properties"]] == [
                    p["name"] for p in raw["properties"]
                ]
                assert [p["logicalType"] for p in table["properties"]] == [
                    p.get("logicalType") for p in raw["properties"]
                ]


def test_product_by_odps_id_and_by_key(mesh: Mesh) -> None:
    descriptor = next(iter(descriptors().values()))
    query = "query($id: ID!) { product(id: $id) { id key name } }"
    by_id = mesh.query(query, {"id": descriptor["id"]})["data"]["product"]
    by_key = mesh.query(query, {"id": by_id["key"]})["data"]["product"]
    slug = next(p["value"] for p in descriptor["customProperties"] if p["property"] == "slug")
    assert by_id["key"] == f"{descriptor['domain']}.{slug}"
    assert by_id == by_key and by_id["name"] == descriptor["name"]
    assert mesh.query(query, {"id": "no.such-product"})["data"]["product"] is None


def test_pagination_walks_every_product_once(mesh: Mesh) -> None:
    query = """query($after: String) { products(first: 3, after: $after) { totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { id } } } }"""
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = mesh.query(query, {"after": after})["data"]["products"]
        seen += [e["node"]["id"] for e in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (pages > 0)
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    expected = {d["id"] for d in descriptors().values()}
    assert len(seen) == len(set(seen)) == page["totalCount"] == len(expected)
    assert set(seen) == expected
    assert pages == -(-len(expected) // 3)


def test_bad_cursor_and_page_size_are_coded_errors(mesh: Mesh) -> None:
    body = mesh.query('{ products(after: "bm9wZQ==") { totalCount } }')
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "after" in body["errors"][0]["message"]
    body = mesh.query("{ products(first: 1000) { totalCount } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "first: expected 0 to 100" in body["errors"][0]["message"]


def _cursor(value: object) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_hostile_product_cursors_are_bad_requests(mesh: Mesh) -> None:
    query = """query($after: String, $f: ProductFilter) { products(first: 2, after: $after,
      filter: $f) { pageInfo { endCursor } edges { node { id domain } } } }"""
    first = mesh.query(query)["data"]["products"]
    real = first["pageInfo"]["endCursor"]
    key = json.loads(base64.urlsafe_b64decode(real + "=" * (-len(real) % 4)))
    ports = mesh.query(
        "{ products(first: 1) { edges { node { outputPorts(first: 1) "
        "{ pageInfo { endCursor } } } } } }"
    )["data"]["products"]["edges"][0]["node"]["outputPorts"]["pageInfo"]["endCursor"]
    domain = first["edges"][0]["node"]["domain"]
    hostile = {
        "made up": "bm9wZQ==",
        "a product's ports cursor": ports,
        "an offset cursor": base64.b64encode(b"offset:3").decode(),
        "another filter's cursor": None,  # the real one, under a filter
        "a NUL in the key": _cursor({**key, "k": [domain, "a\x00", "a\x00", "x"]}),
        "a lone surrogate": _cursor({**key, "k": [domain, "\ud800", "\ud800", "x"]}),
        "a key too long": _cursor({**key, "k": [domain, "a" * 5000, "a" * 5000, "x"]}),
        "a key no product has": _cursor({**key, "k": [domain, "abc", "XYZ", "x"]}),
        "three parts": _cursor({**key, "k": key["k"][:3]}),
        "numbers": _cursor({**key, "k": [1, 2, 3, 4]}),
        "huge": "A" * 100_000,
    }
    for name, cursor in hostile.items():
        variables: dict[str, object] = {"after": cursor or real}
        if cursor is None:
            variables["f"] = {"domain": domain}
        body = mesh.query(query, variables)
        assert body.get("data") is None or body["data"].get("products") is None, name
        assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST", (name, body)
        assert "after" in body["errors"][0]["message"], name
    # The real cursor under its own (empty) filter goes on after the first page.
    after = mesh.query(query, {"after": real})["data"]["products"]["edges"]
    assert after and after[0]["node"]["id"] not in {e["node"]["id"] for e in first["edges"]}


def test_filters_and_domains(mesh: Mesh) -> None:
    expected = descriptors().values()
    domains = mesh.query("{ domains { name productCount } }")["data"]["domains"]
    counts: dict[str, int] = {}
    for d in expected:
        counts[d["domain"]] = counts.get(d["domain"], 0) + 1
    assert {d["name"]: d["productCount"] for d in domains} == counts
    assert len(counts) >= 5
    domain = max(counts, key=lambda k: counts[k])
    query = """query($f: ProductFilter) {
      products(filter: $f) { totalCount edges { node { domain tags } } } }"""
    listed = mesh.query(query, {"f": {"domain": domain}})["data"]["products"]
    assert listed["totalCount"] == counts[domain]
    assert {e["node"]["domain"] for e in listed["edges"]} == {domain}
    tag = next(iter(next(iter(expected))["tags"]))
    tagged = mesh.query(query, {"f": {"tag": tag}})["data"]["products"]
    assert tagged["totalCount"] == sum(tag in d.get("tags", []) for d in expected)


def test_contract_by_id_and_version_is_fully_typed(mesh: Mesh) -> None:
    (cid, version), raw = next(iter(sorted(contract_files().items())))
    body = mesh.query(
        """query($id: ID!, $v: String) { contract(id: $id, version: $v) {
          id version apiVersion name status raw source fetchedAt stale productId
          description { purpose usage limitations }
          schema { name properties { name description quality { dimension severity } } }
          slaProperties { property value unit }
          team { members { username role dateIn dateOut replacedByUsername } }
          roles { role access } servers { server type path host port }
          customProperties { property value } } }""",
        {"id": cid, "v": version},
    )
    assert "errors" not in body, body["errors"]
    contract = body["data"]["contract"]
    assert (contract["id"], contract["version"]) == (cid, version)
    assert contract["raw"]["id"] == cid and contract["stale"] is False
    assert contract["source"].endswith(f"/discover/contracts/{cid}/{version}")
    assert [s["property"] for s in contract["slaProperties"]] == [
        s["property"] for s in raw["slaProperties"]
    ]
    members = raw["team"]["members"] if isinstance(raw["team"], dict) else raw["team"]
    assert [m["username"] for m in contract["team"]["members"]] == [m["username"] for m in members]
    assert [s["type"] for s in contract["servers"]] == [s["type"] for s in raw["servers"]]
    for table in contract["schema"]:
        assert all(p["description"] for p in table["properties"])


def test_unknown_contract_is_a_coded_error(mesh: Mesh) -> None:
    body = mesh.query('{ contract(id: "nope", version: "9.9.9") { id } }')
    assert body["data"]["contract"] is None
    assert body["errors"][0]["extensions"]["code"] == "CONTRACT_NOT_FOUND"


def test_lineage_inputs_resolve_to_their_publishers(mesh: Mesh) -> None:
    body = mesh.query(
        """{ products(first: 50) { edges { node { key versions {
             inputPorts { contractId product { key } contract { id } } } } } } }"""
    )
    assert "errors" not in body, body.get("errors")
    consumes = {
        e["node"]["key"]: {
            p["product"]["key"] for v in e["node"]["versions"] for p in v["inputPorts"]
        }
        for e in body["data"]["products"]["edges"]
    }
    assert consumes["precipitation.global-precipitation"] >= {
        "precipitation.us-precipitation",
        "precipitation.france-precipitation",
    }
    assert "temperature.city-temperatures" in consumes["temperature.metropolitan-temperatures"]
    assert "physical-risk.physical-risk" in consumes["disclosure-reporting.disclosure-reporting"]
    assert "flood.flood-areas" in consumes["physical-risk.physical-risk"]


def test_search_ranks_names_and_columns(mesh: Mesh) -> None:
    hits = mesh.query(
        '{ search(text: "ozone") { score product { key } matches { field element } } }'
    )
    top = hits["data"]["search"]
    assert top and top[0]["product"]["key"] == "air-quality.nyc-air-quality"
    assert [h["score"] for h in top] == sorted((h["score"] for h in top), reverse=True)
    hits = mesh.query('{ search(text: "h3") { product { key } matches { field } } }')["data"][
        "search"
    ]
    assert len(hits) >= 5  # the shared geographic key is a column of most products
    assert any(m["field"] in ("column", "column description") for h in hits for m in h["matches"])


def test_product_live_fields_say_where_they_came_from(mesh: Mesh) -> None:
    body = mesh.query(
        """{ product(id: "air-quality.nyc-air-quality") { source fetchedAt stale state
             links { discovery health } artifacts { id type source }
             health { status tables source } } }"""
    )
    assert "errors" not in body, body.get("errors")
    product = body["data"]["product"]
    base = mesh.products["nyc-air-quality"]
    assert product["source"] == f"{base}/discover/metadata"
    assert product["stale"] is False and product["state"] == "running"
    assert product["health"]["status"] == "UP"
    assert product["health"]["source"].startswith(base)
    assert any(a["type"] == "table" for a in product["artifacts"])
