"""The DuckDB file store: where tables are, formats, lock-down, quoting (no server)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from contracts import parse_contract
from productkit.errors import ProductConfigError, StoreUnavailable
from productkit.quality import checks_of, measure, passes
from productkit.stores import FileStore, open_stores
from productkit.stores.files import locate
from productkit.tables import Table, tables_of


def _contract(tables: dict[str, list[dict[str, Any]]], server: dict[str, Any]) -> Any:
    return parse_contract(
        {
            "apiVersion": "v3.0.2",
            "kind": "DataContract",
            "id": "c",
            "version": "1.0.0",
            "status": "active",
            "servers": [{"server": "local", "type": "local", **server}],
            "schema": [{"name": n, "properties": props} for n, props in tables.items()],
        },  # fmt: skip
        env={},
    )


def _tables(tables: dict[str, list[dict[str, Any]]], server: dict[str, Any]) -> list[Table]:
    return tables_of([_contract(tables, server)])


def _csv(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


CITY = [
    {"name": "city", "logicalType": "string", "primaryKey": True},
    {"name": "people", "logicalType": "integer", "quality": [
        {"rule": "rangeCheck", "mustBeGreaterThan": 500000}]},
]  # fmt: skip


def test_csv_folder_per_table_is_read_in_place(tmp_path: Path) -> None:
    _csv(tmp_path / "data" / "cities.csv", "city,people\nLyon,522000\nNice,342000\n")
    _csv(tmp_path / "data" / "towns.csv", "city,people\nAix,145000\n")
    tables = _tables({"cities": CITY, "towns": CITY}, {"path": "data", "format": "csv"})
    stores = open_stores(tables, "local", tmp_path, {})
    try:
        cities, towns = tables
        assert stores.by_table["cities"].table_stats(cities).row_count == 2
        assert stores.by_table["towns"].table_stats(towns).row_count == 1
        columns, rows = stores.by_table["cities"].sample(cities, 10, 0)
        assert (columns, rows) == (["city", "people"], [("Lyon", 522000), ("Nice", 342000)])
        range_check = next(c for c in checks_of(cities) if c.name == "rangeCheck")
        assert measure(range_check, stores.by_table["cities"]) == 1
        assert passes(range_check, 1) is False
    finally:
        stores.close()


def test_table_placeholder_and_single_table_globs(tmp_path: Path) -> None:
    tables = _tables(
        {"a": CITY, "b": CITY}, {"path": "/d/{table}/part.parquet", "format": "parquet"}
    )
    assert locate({"path": "/d/{table}/x.parquet", "format": "parquet"}, tables[1], 2,
                  tmp_path).pattern == "/d/b/x.parquet"  # fmt: skip
    (tmp_path / "one").mkdir()
    single = _tables({"a": CITY}, {"path": "one", "format": "parquet"})[0]
    loc = locate({"path": "one", "format": "parquet"}, single, 1, tmp_path)
    assert (loc.pattern, loc.folder) == (str(tmp_path / "one" / "*.parquet"), str(tmp_path / "one"))
    file_loc = locate({"path": "/x/y.csv", "format": "csv"}, single, 1, tmp_path)
    assert file_loc.folder == "/x"


def test_one_file_for_two_tables_is_refused(tmp_path: Path) -> None:
    _csv(tmp_path / "all.csv", "a\n1\n")
    server = {"path": str(tmp_path / "all.csv"), "format": "csv"}
    with pytest.raises(ProductConfigError, match="names one file but the contract has 2 tables"):
        open_stores(_tables({"a": CITY, "b": CITY}, server), "local", tmp_path, {})


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    server = {"path": "x.delta", "format": "delta"}
    with pytest.raises(ProductConfigError, match="format 'delta' is not readable"):
        open_stores(_tables({"a": CITY}, server), "local", tmp_path, {})


def test_duckdb_reads_only_the_product_folders(tmp_path: Path) -> None:
    _csv(tmp_path / "data" / "t.csv", "city,people\nLyon,1\n")
    _csv(tmp_path / "secret" / "s.csv", "k\nv\n")
    tables = _tables({"t": CITY}, {"path": str(tmp_path / "data" / "t.csv"), "format": "csv"})
    stores = open_stores(tables, "local", tmp_path, {})
    store = stores.by_table["t"]
    assert isinstance(store, FileStore)
    try:
        assert store.table_stats(tables[0]).row_count == 1
        for sql in (
            f"SELECT * FROM read_csv('{tmp_path / 'secret' / 's.csv'}')",
            "SELECT * FROM read_csv('/etc/hostname')",
            "SET enable_external_access = true",
            "INSTALL httpfs",
        ):
            with pytest.raises(StoreUnavailable):
                store.execute(sql)
    finally:
        stores.close()


def test_strange_column_names_are_quoted_not_pasted(tmp_path: Path) -> None:
    name = 'he said "x"; drop'
    _csv(tmp_path / "t.csv", f'"{name.replace(chr(34), chr(34) * 2)}",id\n,1\n5,2\n')
    props = [
        {"name": "id", "logicalType": "integer", "primaryKey": True},
        {"name": "value", "physicalName": name, "logicalType": "integer", "required": True,
         "quality": [{"rule": "rangeCheck", "mustBeBetween": [0, 3]}]},
    ]  # fmt: skip
    tables = _tables({"t": props}, {"path": str(tmp_path / "t.csv"), "format": "csv"})
    stores = open_stores(tables, "local", tmp_path, {})
    try:
        store = stores.by_table["t"]
        by = {c.name: measure(c, store) for c in checks_of(tables[0])}
        assert by == {"required": 50.0, "rangeCheck": 1}
        assert store.sample(tables[0], 5, 0) == (["id", "value"], [(1, None), (2, 5)])
    finally:
        stores.close()


def test_file_date_is_the_last_update_without_a_time_column(tmp_path: Path) -> None:
    _csv(tmp_path / "t.csv", "city,people\nLyon,1\n")
    os.utime(tmp_path / "t.csv", (1_700_000_000, 1_700_000_000))
    tables = _tables({"t": CITY}, {"path": str(tmp_path / "t.csv"), "format": "csv"})
    stores = open_stores(tables, "local", tmp_path, {})
    try:
        stats = stores.by_table["t"].table_stats(tables[0])
        assert stats.last_updated is not None
        assert stats.last_updated.timestamp() == 1_700_000_000
        assert stats.bytes == (tmp_path / "t.csv").stat().st_size
    finally:
        stores.close()
