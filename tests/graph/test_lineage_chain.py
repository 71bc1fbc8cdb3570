"""Lineage and impact over a mesh of real product kits (tests/graph/lineage_mesh.py).

The book's scenario: a failing source feeds D; the people of every product downstream of
D (E and F) are returned, not only D's. Also: a cycle ends, depth bounds the walk, a
federated query shows as an OBSERVED edge seen only by those allowed to see who read,
and a hostile product cannot place itself upstream of others.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.graph.conftest import Mesh, start_mesh
from tests.graph.lineage_mesh import (
    SOURCE_CONTRACT,
    chain_products,
    cid,
    column,
    owner,
    pid,
    table,
)

LINEAGE = """
query ($of: ID!, $direction: LineageDirection, $depth: Int) {
  lineage(of: $of, direction: $direction, depth: $depth) {
    nodes { id kind name product }
    edges { from to kind origin via }
    truncated
  }
}
"""

IMPACT = """
query ($of: ID!) {
  impact(of: $of) {
    products { product { id key } path subscribers { kind name username role } }
    subscribers { kind name username role url }
    truncated
  }
}
"""


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    root = tmp_path_factory.mktemp("chain")
    products = chain_products(root / "products")
    with start_mesh(root / "gateway", products, sql_data_roots=str(root)) as mesh:
        yield mesh


def ask(mesh: Mesh, query: str, headers: dict[str, str] | None = None, **variables: Any) -> Any:
    body = mesh.query(query, variables, headers=headers)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def node_ids(found: dict[str, Any]) -> set[str]:
    return {n["id"] for n in found["nodes"]}


def products_of(found: dict[str, Any]) -> set[str]:
    return {n["id"] for n in found["nodes"] if n["kind"] == "PRODUCT"}


def test_a_failing_source_reaches_the_people_of_every_product_downstream(chain: Mesh) -> None:
    found = ask(chain, IMPACT, of=f"source:{SOURCE_CONTRACT}")
    paths = {p["product"]["id"]: p["path"] for p in found["products"]}
    # H consumes D too (its own declaration): it is downstream and is told.
    assert set(paths) == {pid("d"), pid("e"), pid("f"), pid("h")}
    source = f"source:{SOURCE_CONTRACT}"
    assert paths[pid("f")] == [source, f"product:{pid('d')}", f"product:{pid('e')}",
                               f"product:{pid('f')}"]  # fmt: skip
    told = {s["username"] for s in found["subscribers"] if s["kind"] == "team"}
    assert {owner("d"), owner("e"), owner("f")} <= told
    channels = {s["name"] for s in found["subscribers"] if s["kind"] == "support"}
    assert {"#d", "#e", "#f"} <= channels
    f_people = next(p for p in found["products"] if p["product"]["id"] == pid("f"))
    assert f_people["subscribers"][0] == {
        "kind": "team", "name": "Owner of f", "username": owner("f"), "role": "owner"
    }  # fmt: skip
    assert not found["truncated"]


def test_impact_of_a_product_includes_it_and_everything_downstream(chain: Mesh) -> None:
    found = ask(chain, IMPACT, of=f"product:{pid('d')}")
    assert [p["product"]["id"] for p in found["products"]][0] == pid("d")
    assert {p["product"]["id"] for p in found["products"]} == {
        pid("d"),
        pid("e"),
        pid("f"),
        pid("h"),
    }
    assert not {owner("x"), owner("y")} & {s["username"] for s in found["subscribers"]}


def test_impact_of_a_table_follows_its_column_and_product_edges(chain: Mesh) -> None:
    found = ask(chain, IMPACT, of=table("d"))
    paths = {p["product"]["id"]: p["path"] for p in found["products"]}
    assert {pid("d"), pid("e"), pid("f")} <= set(paths)
    assert paths[pid("d")] == [table("d"), f"product:{pid('d')}"]


def test_column_edges_are_declared_by_the_deriving_product(chain: Mesh) -> None:
    found = ask(chain, LINEAGE, of=column("f"), direction="UPSTREAM", depth=3)
    derives = [e for e in found["edges"] if e["kind"] == "DERIVES"]
    assert {(e["from"], e["to"]) for e in derives} == {
        (column("e"), column("f")), (column("d"), column("e"))
    }  # fmt: skip
    assert {e["via"] for e in derives} == {"avg(data_value)"}
    assert {e["origin"] for e in derives} == {"DECLARED"}


def test_a_cycle_between_two_products_ends(chain: Mesh) -> None:
    found = ask(chain, LINEAGE, of=f"product:{pid('x')}", direction="BOTH", depth=10)
    assert products_of(found) == {f"product:{pid('x')}", f"product:{pid('y')}"}
    inputs = {(e["from"], e["to"]) for e in found["edges"] if e["kind"] == "INPUT"}
    assert inputs == {
        (f"product:{pid('x')}", f"product:{pid('y')}"),
        (f"product:{pid('y')}", f"product:{pid('x')}"),
    }
    impact = ask(chain, IMPACT, of=f"product:{pid('x')}")
    assert [p["product"]["id"] for p in impact["products"]] == [pid("x"), pid("y")]


def test_depth_bounds_the_walk(chain: Mesh) -> None:
    d = f"product:{pid('d')}"
    one = ask(chain, LINEAGE, of=d, direction="DOWNSTREAM", depth=1)
    assert products_of(one) == {d, f"product:{pid('e')}", f"product:{pid('h')}"}
    two = ask(chain, LINEAGE, of=d, direction="DOWNSTREAM", depth=2)
    assert f"product:{pid('f')}" in products_of(two)


@pytest.mark.parametrize("depth", [0, -1, 11, 1_000_000])
def test_a_depth_outside_the_bounds_is_refused(chain: Mesh, depth: int) -> None:
    body = chain.query(LINEAGE, {"of": f"product:{pid('d')}", "depth": depth})
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST", body
    assert "depth: expected 1 to 10" in body["errors"][0]["message"]


def test_an_unknown_product_is_not_found_and_a_bad_id_is_refused(chain: Mesh) -> None:
    body = chain.query(LINEAGE, {"of": "product:nope"})
    assert body["errors"][0]["extensions"]["code"] == "PRODUCT_NOT_FOUND", body
    body = chain.query(LINEAGE, {"of": "no such thing"})
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST", body


def test_a_hostile_product_cannot_place_itself_upstream_of_others(chain: Mesh) -> None:
    h = f"product:{pid('h')}"
    # H declared that it consumes D: that edge is its own to assert, and it is there.
    down = ask(chain, LINEAGE, of=f"product:{pid('d')}", direction="DOWNSTREAM", depth=1)
    assert {"from": f"product:{pid('d')}", "to": h, "kind": "INPUT", "origin": "DECLARED",
            "via": f"{cid('d')}@1.0.0"} in down["edges"]  # fmt: skip
    # H also serves a copy of E's contract as its output, and in it says E's column comes
    # from H's: F (who consumes E's contract) still has E upstream, never H.
    up = ask(chain, LINEAGE, of=f"product:{pid('f')}", direction="UPSTREAM", depth=10)
    assert h not in node_ids(up)
    assert not any(n["product"] == pid("h") for n in up["nodes"])
    assert f"product:{pid('e')}" in node_ids(up)
    # Nothing is downstream of H but H: it gains no consumers by claiming E's contract.
    impact = ask(chain, IMPACT, of=h)
    assert [p["product"]["id"] for p in impact["products"]] == [pid("h")]
    hdown = ask(chain, LINEAGE, of=h, direction="DOWNSTREAM", depth=10)
    assert products_of(hdown) == {h}
    # The copy's tables are named after H, the product that serves it.
    hup = ask(chain, LINEAGE, of=h, direction="UPSTREAM", depth=2)
    assert table("h") in node_ids(hup) and table("e") not in node_ids(hup)


def test_a_federated_query_shows_as_an_observed_edge_to_its_caller(chain: Mesh) -> None:
    issuer = chain.issuer
    assert issuer is not None
    reader = issuer.headers("ana", ["analyst"])
    sql = f"SELECT name, data_value FROM chain.e.{table('e').rsplit('.', 1)[1]}"
    body = chain.query("query ($q: String!) { sql(query: $q) { rowCount engine } }",
                       {"q": sql}, headers=reader)  # fmt: skip
    assert "errors" not in body, body
    assert body["data"]["sql"]["engine"] == "DUCKDB"

    def observed(headers: dict[str, str] | None) -> set[tuple[str, str, str]]:
        found = ask(chain, LINEAGE, headers, of=table("e"), direction="DOWNSTREAM", depth=1)
        return {(e["from"], e["to"], e["origin"]) for e in found["edges"]
                if e["kind"] == "READ_BY"}  # fmt: skip

    expected = {(table("e"), "consumer:ana", "OBSERVED")}
    assert observed(None) == expected  # the admin
    assert observed(issuer.headers("olga", ["owner:chain"])) == expected  # the owner
    assert observed(reader) == expected  # the reader sees themself
    # Who read a product is not shown to another caller, nor to an anonymous one.
    assert observed(issuer.headers("bob", ["analyst"])) == set()
    assert observed({}) == set()
    # Its columns are observed too; declared edges stay DECLARED.
    found = ask(chain, LINEAGE, of=column("e"), direction="DOWNSTREAM", depth=1)
    kinds = {(e["to"], e["kind"], e["origin"]) for e in found["edges"]}
    assert ("consumer:ana", "READ_BY", "OBSERVED") in kinds
    assert (column("f"), "DERIVES", "DECLARED") in kinds


def test_a_callers_lineage_is_what_they_read_seen_by_those_allowed(chain: Mesh) -> None:
    issuer = chain.issuer
    assert issuer is not None
    reader = issuer.headers("carl", ["analyst"])
    body = chain.query(
        '{ sql(query: "SELECT unique_id FROM chain.f.air_quality") { rowCount } }',
        headers=reader,
    )
    assert "errors" not in body, body
    found = ask(chain, LINEAGE, of="consumer:carl", direction="UPSTREAM", depth=1)
    assert {column("f", "unique_id"), table("f"), f"product:{pid('f')}"} <= node_ids(found)
    assert {n["product"] for n in found["nodes"] if n["product"]} == {pid("f")}
    # One hop further: what F's data comes from.
    further = ask(chain, LINEAGE, of="consumer:carl", direction="UPSTREAM", depth=2)
    assert f"product:{pid('e')}" in node_ids(further)
    assert ask(chain, LINEAGE, reader, of="consumer:carl", depth=1)["nodes"]
    for other in (issuer.headers("bob", ["analyst"]), {}):
        assert ask(chain, LINEAGE, other, of="consumer:carl", depth=3)["nodes"] == []
