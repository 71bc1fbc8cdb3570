"""The Trino engine against the real Trino server of the suite (scripts/trino.sh)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import EngineUnavailable, SqlEngineError, SqlTimeout
from gateway.federation.engines import DuckDBEngine
from gateway.federation.engines.trino_engine import TrinoEngine, TrinoSettings
from gateway.federation.planner import Plan, plan
from tests.federation.demo_catalog import demo_catalog
from tests.federation.two_engines.compare import normalised
from tests.fixtures.trino import trino_rows

ROOT = Path(__file__).resolve().parents[3]

# Cross-product statements over logical names; the same answer is expected on both engines.
STATEMENTS = [
    """SELECT us.observation_date, round(avg(us.precipitation_in * 25.4), 6) AS us_mm,
              round(avg(fr.precipitation_mm), 6) AS fr_mm
       FROM precipitation."us-precipitation".us_daily_precipitation us
       JOIN precipitation."france-precipitation".fr_daily_precipitation fr
         ON fr.observation_date = us.observation_date
       GROUP BY us.observation_date ORDER BY us.observation_date""",
    """SELECT a.company_name, f.flood_type, count(*) AS days,
              round(sum(g.precipitation_mm), 6) AS rain_mm
       FROM "physical-risk"."physical-risk".assets a
       JOIN flood."flood-areas".flood_prone_areas f ON f.h3_cell = a.h3_cell
       JOIN precipitation."global-precipitation".global_daily_precipitation g
         ON g.h3_cell = a.h3_cell
       GROUP BY 1, 2 ORDER BY 1, 2""",
]


@pytest.fixture
async def trino_engine(trino_url: str, demo_stores: Any) -> AsyncIterator[TrinoEngine]:
    engine = TrinoEngine(TrinoSettings(url=trino_url))
    yield engine
    await engine.close()


@pytest.fixture
async def duckdb_engine() -> AsyncIterator[DuckDBEngine]:
    engine = DuckDBEngine(demo_catalog().tables(), root=ROOT)
    yield engine
    await engine.close()


@pytest.mark.parametrize("statement", STATEMENTS, ids=["unit-conversion", "h3-three-products"])
async def test_same_answer_as_duckdb(
    statement: str, trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    on_trino = await trino_engine.execute(
        plan(statement, demo_catalog(), "trino", max_rows=10_000), timeout_s=60, max_rows=10_000
    )
    on_duckdb = await duckdb_engine.execute(
        plan(statement, demo_catalog(), "duckdb", max_rows=10_000), timeout_s=60, max_rows=10_000
    )
    assert on_trino.rows, "the demo stores hold rows for this join"
    assert [c for c, _ in on_trino.columns] == [c for c, _ in on_duckdb.columns]
    assert normalised(on_trino.rows) == normalised(on_duckdb.rows)
    assert not on_trino.truncated


async def test_row_cap_flags_truncation(trino_engine: TrinoEngine) -> None:
    statement = 'SELECT station_id FROM precipitation."us-precipitation".us_daily_precipitation'
    result = await trino_engine.execute(
        plan(statement, demo_catalog(), "trino", max_rows=5), timeout_s=60, max_rows=5
    )
    assert len(result.rows) == 5 and result.truncated
    assert result.columns[0][0] == "station_id"


def raw_plan(sql: str) -> Plan:
    """A plan straight to the engine, for faults the planner would never let through."""
    return Plan(sql=sql, engine="trino", tables=(), row_cap=None, logical_sql=sql)


async def test_timeout_cancels_the_query_on_the_server(trino_engine: TrinoEngine, trino_url: str):
    slow = (
        "SELECT count(*) FROM UNNEST(sequence(1, 10000)) a(x) "
        "CROSS JOIN UNNEST(sequence(1, 10000)) b(y) CROSS JOIN UNNEST(sequence(1, 2000)) c(z) "
        "WHERE x + y + z = -1"
    )
    started = time.monotonic()
    with pytest.raises(SqlTimeout) as raised:
        await trino_engine.execute(raw_plan(slow), timeout_s=1.5, max_rows=1)
    assert time.monotonic() - started < 15
    assert raised.value.extensions["code"] == "SQL_TIMEOUT"
    for _ in range(50):  # the cancel reaches the coordinator asynchronously
        states = trino_rows(
            trino_url,
            "SELECT state FROM system.runtime.queries "
            "WHERE query LIKE '%x + y + z = -1%' AND query NOT LIKE '%system.runtime%'",
        )
        if states and all(s[0] in ("FAILED", "FINISHED") for s in states):
            break
        await asyncio.sleep(0.2)
    assert states and all(s[0] == "FAILED" for s in states), states


async def test_trino_errors_are_coded_with_the_useful_message(trino_engine: TrinoEngine) -> None:
    with pytest.raises(SqlEngineError) as raised:
        await trino_engine.execute(
            raw_plan("SELECT * FROM demo_pg.public.no_such_table"), timeout_s=30, max_rows=1
        )
    assert raised.value.code == "SQL_ENGINE_ERROR"
    assert "TABLE_NOT_FOUND" in raised.value.message
    assert "does not exist" in raised.value.message
    # The engine quotes names and values alike: neither reaches the caller.
    assert "no_such_table" not in raised.value.message


async def test_explain_returns_the_plan(trino_engine: TrinoEngine) -> None:
    text = await trino_engine.explain(plan(STATEMENTS[0], demo_catalog(), "trino", max_rows=10))
    assert "Fragment" in text or "Output" in text


async def test_unreachable_trino_is_engine_unavailable() -> None:
    engine = TrinoEngine(TrinoSettings(url="http://127.0.0.1:1"))
    try:
        with pytest.raises(EngineUnavailable):
            await engine.execute(raw_plan("SELECT 1"), timeout_s=5, max_rows=1)
    finally:
        await engine.close()
