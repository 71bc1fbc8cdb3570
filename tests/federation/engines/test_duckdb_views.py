"""The DuckDB engine reads the demo products in place: files and real PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import psycopg
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from demo.datagen import load_postgres
from gateway.errors import SqlEngineError
from gateway.federation.catalog import StaticCatalog, build_catalog
from gateway.federation.engines import DuckDBEngine
from gateway.federation.engines._duckdb_sources import postgres_scanner_path
from gateway.federation.reach import Reach
from tests.fixtures.services import fresh_postgres_database

from .conftest import contract_entries, make_plan, plan_for

US_DAILY = "precipitation.us-precipitation.us_daily_precipitation"
US_STATIONS = "precipitation.us-precipitation.us_stations"
FLOODS = "flood.flood-areas.flood_prone_areas"
GLOBAL = "precipitation.global-precipitation.global_daily_precipitation"

# Three products, two file formats: US observations and stations, the flood-prone H3
# cells (CSV), and the global product's millimetres for the same station and day.
JOIN_SQL = """
SELECT s.state_code, f.flood_type, count(*) AS days,
       sum(p.precipitation_in) AS inches, sum(g.precipitation_mm) AS mm
FROM {us_daily_precipitation} p
JOIN {us_stations} s ON s.station_id = p.station_id
JOIN {flood_prone_areas} f ON f.h3_cell = s.h3_cell
JOIN {global_daily_precipitation} g
  ON g.station_id = p.station_id AND g.observation_date = p.observation_date
GROUP BY s.state_code, f.flood_type
ORDER BY s.state_code, f.flood_type
"""


def expected_join(data: Path) -> list[tuple[str, str, int, float, float]]:
    """The same answer computed by pyarrow straight from the files."""
    daily = pq.read_table(data / "us-precipitation" / "us_daily_precipitation.parquet")
    stations = pq.read_table(data / "us-precipitation" / "us_stations.parquet")
    floods = pacsv.read_csv(data / "flood-areas" / "flood_prone_areas.csv")
    world = pq.read_table(data / "global-precipitation" / "global_daily_precipitation.parquet")
    joined = (
        daily.select(["station_id", "observation_date", "precipitation_in"])
        .join(
            stations.select(["station_id", "state_code", "h3_cell"]),
            "station_id",
            join_type="inner",
        )
        .join(floods.select(["h3_cell", "flood_type"]), "h3_cell", join_type="inner")
        .join(
            world.select(["station_id", "observation_date", "precipitation_mm"]),
            ["station_id", "observation_date"],
            join_type="inner",
        )
    )
    grouped = joined.group_by(["state_code", "flood_type"]).aggregate(
        [("station_id", "count"), ("precipitation_in", "sum"), ("precipitation_mm", "sum")]
    )
    rows = [
        (
            r["state_code"],
            r["flood_type"],
            r["station_id_count"],
            r["precipitation_in_sum"],
            r["precipitation_mm_sum"],
        )
        for r in grouped.to_pylist()
    ]
    return sorted(rows)


def assert_same(found: list[tuple[object, ...]], expected: list[tuple[object, ...]]) -> None:
    assert [r[:3] for r in found] == [r[:3] for r in expected]
    for got, want in zip(found, expected, strict=True):
        assert got[3:] == pytest.approx(want[3:], rel=1e-9)


def test_every_demo_table_is_a_view_of_its_declared_columns(
    engine: DuckDBEngine, file_catalog: StaticCatalog
) -> None:
    tables = file_catalog.tables()
    assert engine.unavailable == {}
    assert len(engine.views) == len(tables)
    cursor = engine._con.cursor()  # the engine's own database, to look at its views
    for table in tables:
        view = engine.views[f"{table.logical}@{table.contract_version}"]
        described = cursor.execute(f"DESCRIBE SELECT * FROM {view}").fetchall()
        assert [row[0] for row in described] == [c.name for c in table.columns]


async def test_three_product_join_matches_pyarrow(
    engine: DuckDBEngine, file_catalog: StaticCatalog, demo_root: Path
) -> None:
    plan = plan_for(file_catalog, JOIN_SQL, US_DAILY, US_STATIONS, FLOODS, GLOBAL)
    result = await engine.execute(plan, timeout_s=30, max_rows=1000)
    expected = expected_join(demo_root / "demo" / "data")
    assert len(expected) > 1
    assert_same(result.rows, expected)
    assert result.columns == (
        ("state_code", "VARCHAR"),
        ("flood_type", "VARCHAR"),
        ("days", "BIGINT"),
        ("inches", "DOUBLE"),
        ("mm", "DOUBLE"),
    )
    assert not result.truncated


async def test_csv_columns_take_the_contract_types(
    engine: DuckDBEngine, file_catalog: StaticCatalog
) -> None:
    plan = plan_for(
        file_catalog,
        'SELECT "UniqueID", "IndicatorID", "StartDate" FROM {air_quality} LIMIT 1',
        "air-quality.nyc-air-quality.air_quality",
    )
    result = await engine.execute(plan, timeout_s=10, max_rows=1)
    # The contract says bigint, integer and date; the CSV sniffer is not asked.
    assert [t for _, t in result.columns] == ["BIGINT", "INTEGER", "DATE"]


async def test_a_table_whose_data_is_missing_is_unavailable_alone(
    file_catalog: StaticCatalog, tmp_path: Path, demo_root: Path
) -> None:
    missing = file_catalog.get(FLOODS)
    assert missing is not None
    # An empty root: no file exists there, except the one copied for US stations.
    stations = file_catalog.get(US_STATIONS)
    assert stations is not None
    target = tmp_path / str(stations.locations["duckdb"].source["path"])
    target.parent.mkdir(parents=True)
    target.write_bytes((demo_root / str(stations.locations["duckdb"].source["path"])).read_bytes())
    engine = DuckDBEngine([missing, stations], root=tmp_path)
    try:
        assert set(engine.unavailable) == {f"{FLOODS}@1.0.0"}
        assert "flood_prone_areas.csv" in engine.unavailable[f"{FLOODS}@1.0.0"]
        with pytest.raises(SqlEngineError, match="unavailable on duckdb"):
            await engine.execute(make_plan("SELECT 1", missing), timeout_s=5, max_rows=1)
        ok = await engine.execute(
            plan_for(file_catalog, "SELECT count(*) FROM {us_stations}", US_STATIONS),
            timeout_s=5,
            max_rows=1,
        )
        assert ok.rows == [(pq.read_metadata(target).num_rows,)]
    finally:
        await engine.close()


# -- PostgreSQL, through the scanner extension from PyPI --------------------------------


@pytest.fixture(scope="module")
def demo_postgres(postgres_dsn: str, demo_root: Path) -> Iterator[tuple[str, StaticCatalog]]:
    """A fresh database loaded by the demo's loader, and a catalog that reads every
    table from it (the contracts' ``local`` servers left out)."""
    with fresh_postgres_database(postgres_dsn) as dsn:
        load_postgres(dsn, demo_root / "demo" / "data", env={})
        env = {"MESHGATE_DEMO_PG_DATABASE": urlsplit(dsn).path.lstrip("/")}
        yield dsn, build_catalog(contract_entries(env, drop_servers={"local", "mysql"}))


@pytest.mark.services
async def test_postgres_products_answer_like_the_files(
    demo_postgres: tuple[str, StaticCatalog], demo_root: Path
) -> None:
    dsn, catalog = demo_postgres
    url = urlsplit(dsn)
    server = f"{url.hostname}:{url.port}{url.path}"
    engine = DuckDBEngine(catalog.tables(), root=demo_root, postgres_dsns={server: dsn})
    try:
        assert engine.unavailable == {}
        table = catalog.get(US_DAILY)
        assert table is not None and table.locations["duckdb"].parts[0] == "demo_pg"
        plan = plan_for(catalog, JOIN_SQL, US_DAILY, US_STATIONS, FLOODS, GLOBAL)
        result = await engine.execute(plan, timeout_s=60, max_rows=1000)
        assert_same(result.rows, expected_join(demo_root / "demo" / "data"))
        # Loaded straight from the wheel's file: never installed, never downloaded.
        assert engine.extensions["postgres_scanner"] == "NOT_INSTALLED"
        assert {m for n, m in engine.extensions.items() if n != "postgres_scanner"} == {
            "STATICALLY_LINKED"
        }
        assert postgres_scanner_path().is_file()
    finally:
        await engine.close()


@pytest.mark.services
async def test_postgres_view_hides_undeclared_columns_and_writes_nothing(
    demo_postgres: tuple[str, StaticCatalog], demo_root: Path
) -> None:
    dsn, catalog = demo_postgres
    table = catalog.get(US_STATIONS)
    assert table is not None
    schema, name = table.locations["duckdb"].parts[1:]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'ALTER TABLE "{schema}"."{name}" ADD COLUMN secret text DEFAULT \'x\'')
    url = urlsplit(dsn)
    engine = DuckDBEngine(
        [table], root=demo_root, postgres_dsns={f"{url.hostname}:{url.port}{url.path}": dsn}
    )
    try:
        plan = plan_for(catalog, "SELECT * FROM {us_stations}", US_STATIONS)
        result = await engine.execute(plan, timeout_s=10, max_rows=100)
        assert [c for c, _ in result.columns] == [c.name for c in table.columns]
        with pytest.raises(SqlEngineError, match="SELECT only"):
            await engine.run_sql(
                f'DELETE FROM "demo_pg"."{schema}"."{name}"', timeout_s=5, max_rows=1
            )
        # The attached database itself is read-only, even for a statement that got past.
        with pytest.raises(Exception, match="read-only|read only"):
            engine._con.cursor().execute(f'DELETE FROM _pg_0."{schema}"."{name}"')
    finally:
        await engine.close()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'ALTER TABLE "{schema}"."{name}" DROP COLUMN secret')


@pytest.mark.services
async def test_concurrent_postgres_queries_after_lock_down(
    demo_postgres: tuple[str, StaticCatalog], demo_root: Path
) -> None:
    # The scanner opens more connections as queries run in parallel, long after the
    # database was locked: attaching stays refused, reading the attached one does not.
    dsn, catalog = demo_postgres
    url = urlsplit(dsn)
    engine = DuckDBEngine(
        catalog.tables(),
        root=demo_root,
        postgres_dsns={f"{url.hostname}:{url.port}{url.path}": dsn},
    )
    try:
        plans = [
            plan_for(catalog, f"SELECT count(*) FROM {{{name.split('.')[-1]}}}", name)
            for name in (US_DAILY, US_STATIONS, FLOODS, GLOBAL) * 2
        ]
        results = await asyncio.gather(
            *(engine.execute(p, timeout_s=30, max_rows=1) for p in plans)
        )
        with psycopg.connect(dsn) as conn:
            for p, result in zip(plans, results, strict=True):
                schema, table = p.tables[0].table.locations["duckdb"].parts[1:]
                counted = conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()
                assert result.rows == [counted]
        with pytest.raises(duckdb.PermissionException):
            engine._con.cursor().execute(f"ATTACH '{dsn}' AS again (TYPE postgres)")
    finally:
        await engine.close()


async def test_an_unreachable_postgres_makes_only_its_tables_unavailable(
    file_catalog: StaticCatalog, demo_root: Path
) -> None:
    # Port 9 on the loopback: nothing listens, the connection is refused at once.
    env = {"MESHGATE_DEMO_PG_PORT": "9"}
    reach = Reach.of(root=demo_root, db_hosts=["127.0.0.1:9"])  # the operator allows it
    down = build_catalog(contract_entries(env, drop_servers={"local", "mysql"}), reach=reach)
    from_pg = [t for t in down.tables() if t.product == "us-precipitation"]
    floods = file_catalog.get(FLOODS)
    assert floods is not None and len(from_pg) == 2
    started = time.perf_counter()
    engine = DuckDBEngine([*from_pg, floods], root=demo_root, reach=reach)
    try:
        assert time.perf_counter() - started < 5
        assert set(engine.unavailable) == {f"{t.logical}@{t.contract_version}" for t in from_pg}
        assert all("127.0.0.1:9/" in why for why in engine.unavailable.values())
        with pytest.raises(SqlEngineError, match="unavailable on duckdb") as caught:
            await engine.execute(make_plan("SELECT 1", from_pg[0]), timeout_s=5, max_rows=1)
        assert caught.value.product_id == from_pg[0].product_id
        counted = await engine.execute(
            plan_for(file_catalog, "SELECT count(*) FROM {flood_prone_areas}", FLOODS),
            timeout_s=5,
            max_rows=1,
        )
        assert counted.rows[0][0] > 0
    finally:
        await engine.close()
