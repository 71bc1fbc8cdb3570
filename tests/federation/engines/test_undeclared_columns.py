"""An undeclared physical column stays out of reach on both engines (issue 6, hole 5).

A product's table in PostgreSQL (read by Trino's ``demo_pg`` catalog) and in a Parquet
file (read by DuckDB) holds a ``secret`` column its contract does not declare. Before,
``HAVING max(secret) > ...`` passed the planner and Trino resolved ``secret`` against
the physical table. Now the planner refuses it, and even SQL that names ``secret`` past
the planner cannot reach it: Trino reads the table through a projection of the declared
columns, DuckDB through its view.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from demo.stores import DEMO_PG_DSN
from gateway.errors import GatewayError, SqlEngineError
from gateway.federation.catalog import StaticCatalog, build_catalog
from gateway.federation.engines import DuckDBEngine
from gateway.federation.engines.trino_engine import TrinoEngine, TrinoSettings
from gateway.federation.planner import Plan, plan

SCHEMA = f"planner_undeclared_{os.getpid()}"
TABLE = "readings.secretive.readings"
ROWS = [("s1", 1.5, "hunter2"), ("s1", 2.5, "hunter3"), ("s2", 4.0, "swordfish")]
HAVING_SECRET = (
    "SELECT station_id FROM readings.secretive.readings "
    "GROUP BY station_id HAVING max(secret) > 'a'"
)
GROUPED = (
    "SELECT station_id, count(*) AS n FROM readings.secretive.readings "
    "GROUP BY station_id HAVING count(*) > 0 ORDER BY station_id"
)


def contract(schema: str) -> dict[str, Any]:
    return {
        "id": "secretive-readings",
        "version": "1.0.0",
        "schema": [
            {
                "name": "readings",
                "properties": [
                    {"name": "station_id", "logicalType": "string"},
                    {"name": "reading", "logicalType": "number"},
                ],
            }
        ],
        "servers": [
            {"type": "local", "path": "readings.parquet", "format": "parquet"},
            {"type": "trino", "catalog": "demo_pg", "schema": schema},
        ],
    }


@pytest.fixture(scope="module")
def catalog(postgres_dsn: str) -> Iterator[StaticCatalog]:
    """The table in PostgreSQL ``meshgate_demo`` (a schema of its own), with ``secret``."""
    del postgres_dsn  # PostgreSQL is up
    with psycopg.connect(DEMO_PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{SCHEMA}"')
        conn.execute(
            f'CREATE TABLE "{SCHEMA}".readings '
            "(station_id text, reading double precision, secret text)"
        )
        with conn.cursor() as cur:
            cur.executemany(f'INSERT INTO "{SCHEMA}".readings VALUES (%s, %s, %s)', ROWS)
    try:
        yield build_catalog([("secretive", "readings", "secretive", contract(SCHEMA))])
    finally:
        with psycopg.connect(DEMO_PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')


@pytest.fixture
async def trino(trino_url: str) -> AsyncIterator[TrinoEngine]:
    engine = TrinoEngine(TrinoSettings(url=trino_url))
    yield engine
    await engine.close()


@pytest.fixture
async def duckdb_engine(catalog: StaticCatalog, tmp_path: Path) -> AsyncIterator[DuckDBEngine]:
    columns = list(zip(*ROWS, strict=True))
    names = ["station_id", "reading", "secret"]
    table = pa.table({n: list(c) for n, c in zip(names, columns, strict=True)})
    pq.write_table(table, tmp_path / "readings.parquet")
    engine = DuckDBEngine(catalog.tables(), root=tmp_path)
    assert engine.unavailable == {}
    yield engine
    await engine.close()


def past_the_planner(planned: Plan) -> Plan:
    """``planned`` with ``count(*)`` in its engine SQL replaced by ``max(secret)``: what
    a check that missed a reference would hand the engine."""
    assert "COUNT(*) > 0" in planned.sql
    sql = planned.sql.replace("COUNT(*) > 0", "MAX(\"secret\") > 'a'")
    return Plan(sql, planned.engine, planned.tables, planned.row_cap, planned.logical_sql)


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
def test_having_an_undeclared_column_is_refused_by_the_planner(
    catalog: StaticCatalog, engine: str
) -> None:
    with pytest.raises(GatewayError) as caught:
        plan(HAVING_SECRET, catalog, engine, max_rows=10)
    assert caught.value.code == "COLUMN_NOT_FOUND"


@pytest.mark.services
async def test_trino_reads_the_declared_columns_only(
    catalog: StaticCatalog, trino: TrinoEngine
) -> None:
    planned = plan(GROUPED, catalog, "trino", max_rows=10)
    answer = await trino.execute(planned, timeout_s=60, max_rows=10)
    assert answer.rows == [("s1", 2), ("s2", 1)]
    with pytest.raises(SqlEngineError) as caught:
        await trino.execute(past_the_planner(planned), timeout_s=60, max_rows=10)
    assert "COLUMN_NOT_FOUND" in caught.value.message
    assert "hunter" not in caught.value.message and "swordfish" not in caught.value.message


async def test_duckdb_reads_the_declared_columns_only(
    catalog: StaticCatalog, duckdb_engine: DuckDBEngine
) -> None:
    planned = plan(GROUPED, catalog, "duckdb", max_rows=10)
    answer = await duckdb_engine.execute(planned, timeout_s=10, max_rows=10)
    assert answer.rows == [("s1", 2), ("s2", 1)]
    with pytest.raises(SqlEngineError, match="secret"):
        await duckdb_engine.execute(past_the_planner(planned), timeout_s=10, max_rows=10)
