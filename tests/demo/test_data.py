"""The generated data keeps its contracts: columns, types, keys, constraints, SQL rules."""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import h3
import pytest

from tests.demo.documents import Contract, all_contracts, quality_rules

COMPATIBLE = {
    "string": {"VARCHAR"},
    "date": {"DATE"},
    "timestamp": {"TIMESTAMP WITH TIME ZONE"},
    "number": {"DOUBLE"},
    "integer": {"INTEGER", "BIGINT"},
    "boolean": {"BOOLEAN"},
}
SIZED = re.compile(r"^(var)?char\((\d+)\)$")
OPERATORS = {"mustBe": operator.eq, "mustBeGreaterThan": operator.gt,
             "mustBeLessThan": operator.lt, "mustBeGreaterOrEqualTo": operator.ge}  # fmt: skip


def tables() -> Iterator[tuple[Contract, dict[str, Any]]]:
    for contract in all_contracts():
        for obj in contract.raw["schema"]:
            yield contract, obj


TABLES = list(tables())
IDS = [f"{c.label}:{o['name']}" for c, o in TABLES]


def source(root: Path, contract: Contract, obj: dict[str, Any]) -> str:
    """The table as a DuckDB FROM source, found where its contract's local server says."""
    (local,) = [s for s in contract.raw["servers"] if s["type"] == "local"]
    path = root / local["path"].replace("{table}", obj.get("physicalName") or obj["name"])
    assert path.is_file(), path
    reader = "read_parquet" if local["format"] == "parquet" else "read_csv"
    return f"{reader}('{path}')"


@pytest.fixture(scope="module")
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(":memory:") as conn:
        yield conn


def scalar(db: duckdb.DuckDBPyConnection, query: str) -> Any:
    row = db.execute(query).fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize(("contract", "obj"), TABLES, ids=IDS)
def test_columns_and_types_match_the_contract(
    demo_root: Path, db: duckdb.DuckDBPyConnection, contract: Contract, obj: dict[str, Any]
) -> None:
    described = db.execute(f"DESCRIBE SELECT * FROM {source(demo_root, contract, obj)}").fetchall()
    found = {name: kind for name, kind, *_ in described}
    declared = [p.get("physicalName") or p["name"] for p in obj["properties"]]
    assert list(found) == declared  # every column, in order, and nothing undeclared
    for prop in obj["properties"]:
        assert found[prop["name"]] in COMPATIBLE[prop["logicalType"]], prop["name"]


@pytest.mark.parametrize(("contract", "obj"), TABLES, ids=IDS)
def test_keys_required_and_constraints_hold(
    demo_root: Path, db: duckdb.DuckDBPyConnection, contract: Contract, obj: dict[str, Any]
) -> None:
    src = source(demo_root, contract, obj)
    assert scalar(db, f"SELECT count(*) FROM {src}") > 0
    keys = sorted((p for p in obj["properties"] if p.get("primaryKey")),
                  key=lambda p: p["primaryKeyPosition"])  # fmt: skip
    key_list = ", ".join(f'"{p["name"]}"' for p in keys)
    repeated = f"SELECT count(*) FROM (SELECT 1 FROM {src} GROUP BY {key_list} HAVING count(*) > 1)"
    assert scalar(db, repeated) == 0
    for prop in obj["properties"]:
        col, name = f'"{prop["name"]}"', prop["name"]
        if prop["required"]:
            assert scalar(db, f"SELECT count(*) FROM {src} WHERE {col} IS NULL") == 0, name
        if prop.get("unique"):
            assert scalar(db, f"SELECT count({col}) - count(DISTINCT {col}) FROM {src}") == 0, name
        sized = SIZED.match(prop["physicalType"])
        if sized:
            size = f"coalesce(%s(length({col})), 0)"
            low, high = scalar(db, f"SELECT [{size % 'min'}, {size % 'max'}] FROM {src}")
            assert high <= int(sized.group(2)), name
            if not sized.group(1) and high:  # char(n): always n characters
                assert low == high == int(sized.group(2)), name
        options = prop.get("logicalTypeOptions", {})
        checks = {
            "pattern": f"NOT regexp_full_match({col}, '{options.get('pattern')}')",
            "minLength": f"length({col}) < {options.get('minLength')}",
            "maxLength": f"length({col}) > {options.get('maxLength')}",
            "minimum": f"{col} < {options.get('minimum')}",
            "maximum": f"{col} > {options.get('maximum')}",
            "exclusiveMinimum": f"{col} <= {options.get('exclusiveMinimum')}",
        }
        for option, breaks in checks.items():
            if option in options:
                assert scalar(db, f"SELECT count(*) FROM {src} WHERE {breaks}") == 0, (name, option)
        if "pattern" in options:
            for example in prop["examples"]:
                assert re.fullmatch(options["pattern"], str(example)), (name, example)
                if name.startswith("h3"):
                    assert h3.is_valid_cell(example), (name, example)


@pytest.mark.parametrize("contract", all_contracts(), ids=lambda c: c.label)
def test_sql_quality_rules_hold(demo_root: Path, contract: Contract) -> None:
    """The kit does not run ``sql`` rules; they are checked here, on DuckDB views."""
    rules = [(t, c, r) for t, c, r in quality_rules(contract.raw) if r.get("type") == "sql"]
    with duckdb.connect(":memory:") as conn:
        for obj in contract.raw["schema"]:
            conn.execute(
                f'CREATE VIEW "{obj["name"]}" AS SELECT * FROM {source(demo_root, contract, obj)}'
            )
        for table, column, rule in rules:
            value = scalar(conn, rule["query"])
            for key, check in OPERATORS.items():
                if key in rule:
                    assert check(value, rule[key]), (
                        f"{table}.{column}: {rule['description']} ({value})"
                    )


def test_h3_cells_are_the_shared_key(demo_out: Path, db: duckdb.DuckDBPyConnection) -> None:
    for table in ("us-precipitation/us_stations", "france-precipitation/fr_stations",
                  "city-temperatures/cities", "physical-risk/assets"):  # fmt: skip
        rows = db.execute(
            f"SELECT latitude, longitude, h3_cell FROM '{demo_out}/{table}.parquet'"
        ).fetchall()
        for lat, lon, cell in rows:
            assert h3.latlng_to_cell(lat, lon, 7) == cell, table
    flood = db.execute(
        f"SELECT h3_cell FROM read_csv('{demo_out}/flood-areas/flood_prone_areas.csv')"
    )
    for (cell,) in flood.fetchall():
        assert h3.is_valid_cell(cell) and h3.get_resolution(cell) == 7
    coarse = f"{demo_out}/disclosure-reporting/asset_disclosures.parquet"
    for (cell,) in db.execute(f"SELECT DISTINCT h3_cell_res5 FROM '{coarse}'").fetchall():
        assert h3.is_valid_cell(cell) and h3.get_resolution(cell) == 5
