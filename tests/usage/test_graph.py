"""Usage on the real mesh: SQL through the graph feeds each product's `usage` figures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from gateway.usage import OK, open_usage
from tests.graph.conftest import DEMO, ROOT, Mesh, demo_product_dirs, start_mesh

SQL = """query($q: String!, $n: Int) {
  sql(query: $q, engine: DUCKDB, maxRows: $n) { rowCount products { productKey table columns } }
}"""
USAGE = """query($id: ID!, $since: DateTime) { product(id: $id) { usage(since: $since) {
  queries rowsServed callers lastQueriedAt
  byTable { table queries columns { name queries } }
  recent(first: 10) { at caller sql engine outcome rows elapsedMs } } } }"""

JOIN = """SELECT a.company_name, f.flood_type, count(*) AS n
FROM "physical-risk"."physical-risk".assets a
JOIN flood."flood-areas".flood_prone_areas f ON f.h3_cell = a.h3_cell
GROUP BY 1, 2"""
ASSETS = 'SELECT asset_id FROM "physical-risk"."physical-risk".assets'
REFUSED = (
    ('DELETE FROM "physical-risk"."physical-risk".assets', "SQL_NOT_ALLOWED"),
    ('SELECT * FROM flood."flood-areas".flood_prone_area', "TABLE_NOT_FOUND"),
)
NAMES = ("physical-risk", "flood-areas", "us-precipitation")


@pytest.fixture(scope="module")
def usage_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Mesh, Path]]:
    dirs = [d for d in demo_product_dirs() if d.name in NAMES]
    assert len(dirs) == len(NAMES), f"demo products missing under {DEMO}"
    tmp = tmp_path_factory.mktemp("usage-mesh")
    with start_mesh(tmp, dirs, data_root=str(ROOT)) as mesh:
        yield mesh, tmp / "registry.db"


def join_groups() -> int:
    """How many (company, flood type) groups JOIN has, counted over the demo files
    without the gateway."""
    data = ROOT / "demo" / "data"
    with duckdb.connect() as conn:
        found = conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT a.company_name, f.flood_type"
            f" FROM read_parquet('{data}/physical-risk/assets.parquet') a"
            f" JOIN read_csv('{data}/flood-areas/flood_prone_areas.csv', header = true) f"
            " ON f.h3_cell = a.h3_cell)"
        ).fetchone()
    assert found is not None
    return int(found[0])


def sql(mesh: Mesh, query: str, max_rows: int | None = None) -> dict[str, Any]:
    return mesh.query(SQL, {"q": query, "n": max_rows})


def usage(mesh: Mesh, key: str, since: str | None = None) -> dict[str, Any]:
    body = mesh.query(USAGE, {"id": key, "since": since})
    assert "errors" not in body, body["errors"]
    found: dict[str, Any] = body["data"]["product"]["usage"]
    return found


async def test_sql_queries_feed_product_usage(usage_mesh: tuple[Mesh, Path]) -> None:
    mesh, db = usage_mesh
    joined = sql(mesh, JOIN)["data"]["sql"]
    assets = sql(mesh, ASSETS, max_rows=5)["data"]["sql"]
    groups = join_groups()
    assert groups > 0 and joined["rowCount"] == groups and assets["rowCount"] == 5
    for query, code in REFUSED:
        assert sql(mesh, query)["errors"][0]["extensions"]["code"] == code

    # What the statements read (written by hand), as the answers and usage show it.
    read = {
        "physical-risk.physical-risk.assets": {"company_name", "h3_cell", "asset_id"},
        "flood.flood-areas.flood_prone_areas": {"flood_type", "h3_cell"},
    }
    said: dict[str, set[str]] = {}
    for answer in (joined, assets):
        for use in answer["products"]:
            said.setdefault(use["table"], set()).update(use["columns"])
    assert said == read

    risk = usage(mesh, "physical-risk.physical-risk")
    assert (risk["queries"], risk["rowsServed"], risk["callers"]) == (
        2, groups + 5, 1,
    )  # fmt: skip
    [assets_use] = risk["byTable"]
    assert assets_use["table"] == "physical-risk.physical-risk.assets"
    assert assets_use["queries"] == 2
    assert {c["name"] for c in assets_use["columns"]} == read[assets_use["table"]]
    assert {c["name"]: c["queries"] for c in assets_use["columns"]} == {
        "company_name": 1, "h3_cell": 1, "asset_id": 1,
    }  # fmt: skip
    assert [(q["outcome"], q["rows"], q["engine"]) for q in risk["recent"]] == [
        (OK, 5, "duckdb"), (OK, groups, "duckdb"),
    ]  # fmt: skip
    # Who asked and what: the owner or an admin (this caller) sees them, an analyst not.
    assert [(q["caller"], q["sql"]) for q in risk["recent"]] == [
        ("admin", ASSETS), ("admin", JOIN),
    ]  # fmt: skip
    assert mesh.issuer is not None
    analyst = mesh.query(
        USAGE,
        {"id": "physical-risk.physical-risk"},
        headers=mesh.issuer.headers("ana", ["analyst"]),
    )
    seen = analyst["data"]["product"]["usage"]["recent"]
    assert [(q["caller"], q["sql"], q["rows"]) for q in seen] == [
        (None, None, 5),
        (None, None, groups),
    ]
    assert risk["lastQueriedAt"] == risk["recent"][0]["at"]

    flood = usage(mesh, "flood.flood-areas")
    assert (flood["queries"], flood["rowsServed"]) == (1, groups)
    [areas] = flood["byTable"]
    assert {c["name"] for c in areas["columns"]} == read[areas["table"]]

    untouched = usage(mesh, "precipitation.us-precipitation")
    assert (untouched["queries"], untouched["byTable"], untouched["recent"]) == (0, [], [])
    assert usage(mesh, "physical-risk.physical-risk", since="2999-01-01T00:00:00Z")["queries"] == 0

    # The refused statements are in the audit trail, reading nothing.
    store = await open_usage(f"sqlite:///{db}")
    try:
        logged = await store.log()
    finally:
        await store.close()
    assert [(q.outcome, q.sql) for q in logged[:2]] == [(c, s) for s, c in reversed(REFUSED)]
    assert all(q.reads == () and q.rows == 0 for q in logged[:2])
    assert {q.caller for q in logged} == {"admin"}  # kept, only not shown to others
    assert [q.outcome for q in logged] == [REFUSED[1][1], REFUSED[0][1], OK, OK]
    assert {r.table: set(r.columns) for r in logged[3].reads} == {
        t: cols for t, cols in said.items() if t != "physical-risk.physical-risk.assets"
    } | {"physical-risk.physical-risk.assets": {"company_name", "h3_cell"}}


def test_recent_refuses_a_page_size_out_of_range(usage_mesh: tuple[Mesh, Path]) -> None:
    mesh, _ = usage_mesh
    body = mesh.query('{ product(id: "flood.flood-areas") { usage { recent(first: 0) { at } } } }')
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST" and "first" in error["message"]
