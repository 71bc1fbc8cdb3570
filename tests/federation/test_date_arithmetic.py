"""Hours added to a DATE are refused on both engines (Trino fails them at run time, DuckDB
would answer a timestamp); days and months, and hours added to a timestamp, are planned."""

from __future__ import annotations

import pytest

from gateway.errors import SqlNotAllowed
from gateway.federation.planner import plan
from tests.federation.demo_catalog import demo_catalog

US = 'precipitation."us-precipitation".us_daily_precipitation'
REFUSED = {
    "plus-hours": f"SELECT observation_date + INTERVAL '2' HOUR FROM {US}",
    "minus-minutes": f"SELECT observation_date - INTERVAL '30' MINUTE FROM {US}",
    "hours-first": f"SELECT INTERVAL '1' SECOND + observation_date FROM {US}",
    "date-add-hours": f"SELECT date_add('hour', 3, observation_date) FROM {US}",
    "literal-in-where": (
        f"SELECT 1 FROM {US} WHERE DATE '2025-01-01' + INTERVAL '1' HOUR > ingested_at"
    ),
}
PLANNED = {
    "days": f"SELECT observation_date + INTERVAL '7' DAY FROM {US}",
    "months": f"SELECT date_add('month', -1, observation_date) FROM {US}",
    "timestamp-hours": f"SELECT ingested_at + INTERVAL '2' HOUR FROM {US}",
    "cast-then-hours": f"SELECT CAST(observation_date AS TIMESTAMP) + INTERVAL '2' HOUR FROM {US}",
}


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
@pytest.mark.parametrize("sql", REFUSED.values(), ids=REFUSED.keys())
def test_hours_added_to_a_date_are_refused_on_both_engines(sql: str, engine: str) -> None:
    with pytest.raises(SqlNotAllowed) as caught:
        plan(sql, demo_catalog(), engine, max_rows=10)
    assert caught.value.code == "SQL_NOT_ALLOWED"
    assert "DATE" in str(caught.value)


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
@pytest.mark.parametrize("sql", PLANNED.values(), ids=PLANNED.keys())
def test_whole_days_and_timestamp_hours_are_planned(sql: str, engine: str) -> None:
    assert plan(sql, demo_catalog(), engine, max_rows=10).sql
