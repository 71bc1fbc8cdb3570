"""The demo products read through Trino's catalogs hold the same rows as their files."""

from __future__ import annotations

import duckdb
import pytest

from demo.stores import StoredTable, demo_tables, file_rows
from tests.fixtures.trino import trino_rows

pytestmark = pytest.mark.services

TABLES = demo_tables()
IN_POSTGRES = [t for t in TABLES if t.postgres_schema]
IN_MARIADB = [t for t in TABLES if t.mariadb_database]


def table_id(table: StoredTable) -> str:
    return f"{table.product}/{table.name}"


@pytest.mark.parametrize("table", IN_POSTGRES, ids=table_id)
def test_postgres_table_row_count(
    trino_url: str, demo_stores: list[StoredTable], table: StoredTable
) -> None:
    rows = trino_rows(
        trino_url, f'SELECT count(*) FROM demo_pg."{table.postgres_schema}"."{table.name}"'
    )
    assert rows == [[file_rows(table.file)]]


@pytest.mark.parametrize("table", IN_MARIADB, ids=table_id)
def test_mariadb_table_row_count(
    trino_url: str, demo_stores: list[StoredTable], table: StoredTable
) -> None:
    rows = trino_rows(
        trino_url, f'SELECT count(*) FROM demo_mariadb."{table.mariadb_database}"."{table.name}"'
    )
    assert rows == [[file_rows(table.file)]]


def find(product: str, name: str) -> StoredTable:
    return next(t for t in TABLES if t.product == product and t.name == name)


def test_cross_catalog_join(trino_url: str, demo_stores: list[StoredTable]) -> None:
    """Daily US precipitation from PostgreSQL joined to its stations in MariaDB, per state,
    equals the same join over the Parquet files."""
    daily = find("us-precipitation", "us_daily_precipitation")
    stations = find("us-precipitation", "us_stations")
    assert daily.postgres_schema and stations.mariadb_database
    query = """
        SELECT s.state_code, count(*) AS days, round(sum(d.precipitation_in), 6) AS total_in
        FROM {daily} AS d JOIN {stations} AS s ON s.station_id = d.station_id
        GROUP BY s.state_code ORDER BY s.state_code
    """
    got = trino_rows(
        trino_url,
        query.format(
            daily=f'demo_pg."{daily.postgres_schema}"."{daily.name}"',
            stations=f'demo_mariadb."{stations.mariadb_database}"."{stations.name}"',
        ),
    )
    with duckdb.connect(":memory:") as db:
        want = db.execute(
            query.format(
                daily=f"read_parquet('{daily.file}')", stations=f"read_parquet('{stations.file}')"
            )
        ).fetchall()
    assert len(want) > 1
    assert got == [list(row) for row in want]
