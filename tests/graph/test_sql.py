"""Federated SQL through the graph, on the embedded DuckDB and on the real Trino."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from gateway.federation.engine_choice import EngineChoice
from tests.federation.engines.test_trino_engine import normalised
from tests.federation.test_planner_reject import REJECT
from tests.graph.conftest import ROOT, Mesh

SQL = """query($q: String!, $e: SqlEngine, $n: Int) {
  sql(query: $q, engine: $e, maxRows: $n) {
    columns { name type } rows rowCount truncated elapsedMs engine executedSql
    products { productId productKey table columns contractId contractVersion } } }"""

JOIN = """SELECT a.company_name, f.flood_type, count(*) AS days,
  round(sum(g.precipitation_mm), 6) AS rain_mm
FROM "physical-risk"."physical-risk".assets a
JOIN flood."flood-areas".flood_prone_areas f ON f.h3_cell = a.h3_cell
JOIN precipitation."global-precipitation".global_daily_precipitation g ON g.h3_cell = a.h3_cell
GROUP BY 1, 2 ORDER BY 1, 2"""


@pytest.fixture(scope="module")
def sql_mesh(engines_mesh: Mesh) -> Mesh:
    """The demo mesh on both engines, shared with the other SQL modules (queries only)."""
    return engines_mesh


def join_over_the_files() -> list[tuple[Any, ...]]:
    """JOIN's answer computed over the demo files without the gateway (same statement,
    file names written by hand)."""
    data = ROOT / "demo" / "data"
    with duckdb.connect() as conn:
        return conn.execute(
            "SELECT a.company_name, f.flood_type, count(*), round(sum(g.precipitation_mm), 6)"
            f" FROM read_parquet('{data}/physical-risk/assets.parquet') a"
            f" JOIN read_csv('{data}/flood-areas/flood_prone_areas.csv', header = true) f"
            " ON f.h3_cell = a.h3_cell"
            f" JOIN read_parquet('{data}/global-precipitation/global_daily_precipitation.parquet')"
            " g ON g.h3_cell = a.h3_cell GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()


def run(mesh: Mesh, query: str, engine: str | None = None, max_rows: int | None = None) -> dict:
    return mesh.query(SQL, {"q": query, "e": engine, "n": max_rows})


def test_cross_product_join_same_answer_on_both_engines(sql_mesh: Mesh) -> None:
    duck = run(sql_mesh, JOIN, "DUCKDB")
    trino = run(sql_mesh, JOIN, "TRINO")
    assert "errors" not in duck and "errors" not in trino, (duck, trino)
    on_duck, on_trino = duck["data"]["sql"], trino["data"]["sql"]
    assert on_duck["rowCount"] > 0 and not on_duck["truncated"]
    expected = normalised(join_over_the_files())
    assert normalised([tuple(r) for r in on_duck["rows"]]) == expected
    assert normalised([tuple(r) for r in on_trino["rows"]]) == expected
    assert (on_duck["engine"], on_trino["engine"]) == ("DUCKDB", "TRINO")
    read = {p["productKey"] for p in on_duck["products"]}
    assert read == {
        "physical-risk.physical-risk",
        "flood.flood-areas",
        "precipitation.global-precipitation",
    }
    assert '"mesh"."' in on_duck["executedSql"] and '"demo_pg"' in on_trino["executedSql"]


def test_row_cap_truncates(sql_mesh: Mesh) -> None:
    body = run(
        sql_mesh, 'SELECT station_id FROM precipitation."us-precipitation".us_daily_precipitation',
        max_rows=3,
    )  # fmt: skip
    answer = body["data"]["sql"]
    assert answer["rowCount"] == 3 and answer["truncated"] is True


@pytest.mark.parametrize(
    ("query", "code", "fragment"),
    [
        ('DROP TABLE flood."flood-areas".flood_prone_areas', "SQL_NOT_ALLOWED", ""),
        ("SELECT * FROM read_csv('/etc/passwd')", "SQL_NOT_ALLOWED", "read_csv"),
        ('SELECT * FROM flood."flood-areas".flood_prone_area', "TABLE_NOT_FOUND", "did you mean"),
    ],
)
def test_refusals_are_coded(sql_mesh: Mesh, query: str, code: str, fragment: str) -> None:
    body = run(sql_mesh, query)
    assert body["data"] is None or body["data"].get("sql") is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == code, error
    assert fragment.lower() in error["message"].lower()


def test_explain_sql(sql_mesh: Mesh) -> None:
    body = sql_mesh.query(
        "query($q: String!) { explainSql(query: $q, engine: DUCKDB) }", {"q": JOIN}
    )
    assert "errors" not in body, body.get("errors")
    assert "JOIN" in body["data"]["explainSql"].upper()


@pytest.mark.parametrize("engine", ["DUCKDB", "TRINO"])
def test_every_must_reject_statement_is_refused_before_any_engine(
    monkeypatch: pytest.MonkeyPatch, files_mesh: Mesh, engine: str
) -> None:
    calls: list[str] = []
    original = EngineChoice.take

    async def counting(self: EngineChoice, name: str, catalog: Any) -> Any:
        calls.append(name)
        return await original(self, name, catalog)

    # The method is looked up at each call: patched now, it counts every engine asked
    # from here on, in the running gateway too.
    monkeypatch.setattr(EngineChoice, "take", counting)
    mesh = files_mesh
    for case, statement, code, _ in REJECT:
        errors = run(mesh, statement, engine)["errors"]
        assert errors[0]["extensions"]["code"] == code, (case, errors)
    assert calls == []  # the whole list, and no engine was asked
    if engine == "DUCKDB":
        ok = run(mesh, "SELECT 1 AS one", engine)
        assert "errors" not in ok, ok.get("errors")
        assert calls == ["duckdb"]
