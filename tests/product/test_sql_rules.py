"""SQL quality rules: run after parsing and rewriting, refused when unsafe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contracts import parse_contract
from productkit.quality import checks_of, measure, passes
from productkit.results import observe
from productkit.sqlrules import RuleRefused, prepare
from productkit.stores import StoreSet, open_stores
from productkit.tables import Table, tables_of
from productkit.timefmt import utcnow

STATIONS = [
    {"name": "station_id", "logicalType": "string", "primaryKey": True},
    {"name": "h3_cell", "logicalType": "string"},
]
READINGS = [
    {"name": "station_id", "logicalType": "string", "primaryKey": True},
    {"name": "h3_cell", "logicalType": "string"},
    {"name": "mm", "logicalType": "number", "quality": [
        {"type": "sql", "query": "SELECT COUNT(*) FROM ${table} WHERE ${column} < 0",
         "mustBe": 0},
    ]},
]  # fmt: skip
JOIN_RULE = {
    "type": "sql",
    "query": "SELECT COUNT(*) FROM readings r LEFT JOIN stations s "
    "ON s.station_id = r.station_id WHERE s.station_id IS NULL",
    "mustBe": 0,
}


def _store(tmp_path: Path, rules: list[dict[str, Any]]) -> tuple[list[Table], StoreSet]:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "stations.csv").write_text("station_id,h3_cell\nA,c1\nB,c2\n")
    (tmp_path / "data" / "readings.csv").write_text(
        "station_id,h3_cell,mm\nA,c1,1.5\nB,c2,-2\nZ,c9,0\n"
    )
    contract = parse_contract(
        {
            "apiVersion": "v3.0.2",
            "kind": "DataContract",
            "id": "c",
            "version": "1.0.0",
            "status": "active",
            "servers": [{"server": "local", "type": "local", "path": "data", "format": "csv"}],
            "schema": [
                {"name": "stations", "properties": STATIONS},
                {"name": "readings", "properties": READINGS, "quality": rules},
            ],
        },  # fmt: skip
        env={},
    )
    tables = tables_of([contract])
    return tables, open_stores(tables, "local", tmp_path, {})


@pytest.fixture
def product(tmp_path: Path) -> Iterator[tuple[list[Table], StoreSet]]:
    tables, stores = _store(tmp_path, [JOIN_RULE])
    yield tables, stores
    stores.close()


def test_sql_rules_run_against_the_product_tables(
    product: tuple[list[Table], StoreSet],
) -> None:
    tables, stores = product
    by_name = {t.name: t for t in tables}
    checks = {c.source: c for c in checks_of(by_name["readings"]) if c.kind == "sql"}
    store = stores.by_table["readings"]
    joined = measure(checks["quality[0]"], store, by_name)
    assert joined == 1  # station Z is not listed
    assert passes(checks["quality[0]"], joined) is False
    negative = next(c for c in checks_of(by_name["readings"]) if c.column is not None)
    assert measure(negative, store, by_name) == 1
    results = observe("p", tables, stores.by_table, {}, utcnow())
    sql = [r for r in results if r["property"] == "sql"]
    assert [(r["element"], r["value"], r["passed"]) for r in sql] == [
        ("readings", 1, False),
        ("readings.mm", 1, False),
    ]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("SELECT COUNT(*) FROM read_csv('/etc/passwd')", "not a table of this contract"),
        ("SELECT COUNT(*) FROM other_table", "not a table of this contract"),
        ("SELECT COUNT(*) FROM main.readings", "not a table of this contract"),
        ("DELETE FROM readings", "one SELECT"),
        ("SELECT 1; DROP TABLE readings", "one SELECT"),
        ("SELECT COUNT(*) FROM (SELECT 1", "does not parse"),
        ("SELECT COUNT(*) FROM ${table} WHERE ${column} IS NULL", "not on a column"),
    ],
)
def test_unsafe_or_foreign_queries_are_refused(
    product: tuple[list[Table], StoreSet], query: str, reason: str
) -> None:
    tables, stores = product
    by_name = {t.name: t for t in tables}
    with pytest.raises(RuleRefused, match=reason):
        prepare(query, by_name["readings"], None, by_name, stores.by_table["readings"])


def test_refused_rules_fail_with_their_reason(tmp_path: Path) -> None:
    rule = {"type": "sql", "query": "SELECT COUNT(*) FROM elsewhere", "mustBe": 0}
    tables, stores = _store(tmp_path, [rule])
    try:
        results = observe("p", tables, stores.by_table, {}, utcnow())
    finally:
        stores.close()
    refused = next(r for r in results if r["element"] == "readings" and r["property"] == "sql")
    assert refused["value"] is None and refused["passed"] is False
    assert refused["errorCode"] == "SQL_RULE_REFUSED"
    assert refused["error"].startswith("SQL rule refused: the query reads elsewhere")


def test_ctes_are_allowed(product: tuple[list[Table], StoreSet]) -> None:
    tables, stores = product
    by_name = {t.name: t for t in tables}
    query = "WITH neg AS (SELECT * FROM readings WHERE mm < 0) SELECT COUNT(*) FROM neg"
    tree = prepare(query, by_name["readings"], None, by_name, stores.by_table["readings"])
    assert stores.by_table["readings"].scalar(tree) == 1
