"""The catalog: output contracts become tables with a location per engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contracts import load_contract, load_descriptor
from gateway.errors import ColumnNotFound, SqlNotAllowed
from gateway.federation import build_catalog, plan
from gateway.federation.reach import Reach
from tests.federation.demo_catalog import demo_catalog

# These tests are about where each engine reads; servers without a host count as
# ":5432" / ":3306" here, and the catalog "lake" is allowed.
OPEN = Reach.of(trino_catalogs=["lake", "demo_pg", "demo_mariadb", "mariadb"],
                db_hosts=[":5432", ":3306"])  # fmt: skip


def contract(version: str = "1.0.0", servers: list[dict[str, Any]] | None = None,
             tables: dict[str, list[Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    objects = tables or {"readings": ["id", "value"]}
    return {
        "id": "c-1",
        "version": version,
        "servers": servers or [],
        "schema": [
            {"name": name, "properties": [p if isinstance(p, dict) else {"name": p} for p in props]}
            for name, props in objects.items()
        ],
    }


def test_demo_catalog_holds_every_output_table_and_no_input_only_one() -> None:
    catalog = demo_catalog()
    names = {t.versioned for t in catalog.tables()}
    assert "precipitation.us-precipitation.us_daily_precipitation@1.0.0" in names
    assert "precipitation.global-precipitation.global_daily_precipitation@1.0.0" in names
    assert "precipitation.global-precipitation.global_daily_precipitation@2.0.0" in names
    assert len(names) == 15
    for table in catalog.tables():
        assert set(table.locations) == {"duckdb", "trino"}
        assert table.columns


def test_demo_local_paths_are_each_tables_file() -> None:
    table = demo_catalog().get("precipitation.us-precipitation.us_stations")
    assert table is not None
    source = table.locations["duckdb"].source
    assert source["path"] == "demo/data/us-precipitation/us_stations.parquet"
    assert source["format"] == "parquet"
    assert table.locations["duckdb"].parts == (
        "mesh",
        "precipitation__us_precipitation__us_stations",
    )


def test_lookups_are_case_insensitive_and_versioned() -> None:
    catalog = demo_catalog()
    newest = catalog.get("Precipitation.Global-Precipitation.GLOBAL_DAILY_PRECIPITATION")
    assert newest is not None and newest.contract_version == "2.0.0"
    one = catalog.get("precipitation.global-precipitation.global_daily_precipitation@1")
    assert one is not None and one.contract_version == "1.0.0"
    assert catalog.get("precipitation.global-precipitation.global_daily_precipitation@9") is None


def test_trino_server_entry_wins_then_postgres_then_mysql() -> None:
    trino = {"type": "trino", "catalog": "lake", "schema": "climate"}
    pg = {"type": "postgres", "schema": "s_pg"}
    my = {"type": "mysql", "database": "d_my"}
    for servers, parts in [
        ([pg, trino, my], ("lake", "climate", "readings")),
        ([my, pg], ("demo_pg", "s_pg", "readings")),
        ([my], ("demo_mariadb", "d_my", "readings")),
    ]:
        catalog = build_catalog([("p-1", "d", "prod", contract(servers=servers))], reach=OPEN)
        table = catalog.get("d.prod.readings")
        assert table is not None and table.locations["trino"].parts == parts
    custom = build_catalog([("p-1", "d", "prod", contract(servers=[my]))],
                           trino_catalogs={"mysql": "mariadb"}, reach=OPEN)  # fmt: skip
    assert custom.tables()[0].locations["trino"].parts == ("mariadb", "d_my", "readings")


def test_duckdb_reads_local_files_else_the_attached_postgres() -> None:
    folder = {"type": "local", "path": "data/prod/", "format": "csv"}
    pg = {"type": "postgres", "schema": "s_pg"}
    catalog = build_catalog(
        [
            (
                "p-1",
                "my-domain",
                "my-prod",
                contract(servers=[folder], tables={"a": ["x"], "b": ["y"]}),
            )
        ]
    )
    a = catalog.get("my-domain.my-prod.a")
    assert a is not None
    assert a.locations["duckdb"].parts == ("mesh", "my_domain__my_prod__a")
    assert a.locations["duckdb"].source["path"] == "data/prod/a.csv"
    only_pg = build_catalog([("p-1", "d", "prod", contract(servers=[pg]))], reach=OPEN)
    assert only_pg.tables()[0].locations["duckdb"].parts == ("demo_pg", "s_pg", "readings")
    nowhere = build_catalog([("p-1", "d", "prod", contract(servers=[]))])
    assert nowhere.tables()[0].locations == {}
    with pytest.raises(SqlNotAllowed, match="cannot be read by the duckdb engine"):
        plan("SELECT id FROM d.prod.readings", nowhere, "duckdb", max_rows=1)


def test_an_older_version_gets_its_own_duckdb_view() -> None:
    local = {"type": "local", "path": "x/{table}.parquet", "format": "parquet"}
    catalog = build_catalog([
        ("p-1", "d", "prod", contract("1.0.0", [local])),
        ("p-1", "d", "prod", contract("1.10.0", [local])),
        ("p-1", "d", "prod", contract("1.9.0", [local])),
    ])  # fmt: skip
    views = {t.contract_version: t.locations["duckdb"].parts[1] for t in catalog.tables()}
    assert views == {
        "1.10.0": "d__prod__readings",
        "1.9.0": "d__prod__readings__v1_9_0",
        "1.0.0": "d__prod__readings__v1_0_0",
    }
    newest = catalog.get("d.prod.readings")
    assert newest is not None and newest.contract_version == "1.10.0"


def test_columns_with_other_physical_names_are_renamed_and_nothing_else_is_read() -> None:
    servers = [{"type": "postgres", "schema": "s"}]
    props = ["id", {"name": "value", "physicalName": "val_raw"}]
    document = contract(servers=servers, tables={"readings": props})
    catalog = build_catalog([("p-1", "d", "prod", document)], reach=OPEN)
    result = plan("SELECT * FROM d.prod.readings WHERE value > 1", catalog, "trino", max_rows=5)
    assert result.sql == (
        'SELECT\n  "readings"."id" AS "id",\n  "readings"."value" AS "value"\n'
        'FROM (\n  SELECT\n    "id" AS "id",\n    "val_raw" AS "value"\n'
        '  FROM "demo_pg"."s"."readings"\n) AS "readings"\n'
        'WHERE\n  "readings"."value" > 1\nLIMIT 6'
    )
    with pytest.raises(ColumnNotFound):
        plan("SELECT val_raw FROM d.prod.readings", catalog, "trino", max_rows=5)
    # DuckDB's views already expose the contract's names: no renaming there.
    on_duckdb = plan("SELECT value FROM d.prod.readings", catalog, "duckdb", max_rows=5)
    assert 'FROM "demo_pg"."s"."readings" AS "readings"' in on_duckdb.sql


def test_a_memo_rebuilds_only_the_products_whose_contracts_changed() -> None:
    # Issue 10: the live catalog adds or changes one product at a time among thousands.
    entries = []
    for name in ("us-precipitation", "flood-areas"):
        folder = Path(__file__).resolve().parents[2] / "demo" / "products" / name
        found = load_descriptor(folder / "product.yaml")
        for path in sorted((folder / "contracts").glob("*.yaml")):
            raw = load_contract(path, {}).raw
            entries.append((found.id, found.domain, found.slug, raw))
    memo: dict[Any, Any] = {}
    first = build_catalog(entries, memo=memo)
    assert first.names() == build_catalog(entries).names()
    us = [e for e in entries if e[2] == "us-precipitation"]
    again = build_catalog(entries, memo=memo)
    # Same documents: the very same table objects; a changed document: built again.
    assert all(a is b for a, b in zip(first.tables(), again.tables(), strict=True))
    changed = [(*e[:3], {**e[3]}) if e in us else e for e in entries]
    third = build_catalog(changed, memo=memo)
    rebuilt = {t.product for a, t in zip(again.tables(), third.tables(), strict=True) if a is not t}
    assert rebuilt == {"us-precipitation"}
    assert third.names() == first.names()
    # A product no longer given is forgotten by the memo.
    build_catalog([e for e in entries if e not in us], memo=memo)
    assert {key[2] for key in memo} == {"flood-areas"}
