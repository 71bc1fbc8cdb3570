"""The five former engine differences, each checked against a value computed here.

The corpus proves Trino and DuckDB agree; these tests prove they agree on the RIGHT answer
(the mesh's dialect is Trino's): integer division truncates toward zero, ``date ±
interval`` is a ``DATE``, a ``char(n)`` string is read without its pad, a contract boolean
kept in MariaDB is a boolean, a zoneless MariaDB timestamp is the UTC instant. Expected
values come from the demo's Parquet files (read with pyarrow, not by an engine) or from
arithmetic written here; values are compared raw (not normalised), so a float for an
integer or a datetime for a date fails.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from gateway.errors import SqlEngineError
from gateway.federation.engines import DuckDBEngine
from gateway.federation.engines.trino_engine import TrinoEngine
from gateway.federation.planner import plan
from tests.federation.demo_catalog import demo_catalog
from tests.federation.two_engines.corpus import FR, METRO, RISK, US

pytestmark = pytest.mark.services

DATA = Path(__file__).resolve().parents[3] / "demo" / "data"
MAX_ROWS = 20_000


def file_rows(name: str, *columns: str) -> list[tuple[Any, ...]]:
    """The rows of ``demo/data/<name>.parquet`` (only ``columns``), read by pyarrow."""
    table = pq.read_table(DATA / f"{name}.parquet", columns=list(columns))
    return list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))


async def on_both(
    sql: str, trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> dict[str, list[tuple[Any, ...]]]:
    """The raw rows of ``sql`` on each engine, by engine name."""
    answers = {}
    for engine in (trino_engine, duckdb_engine):
        checked = plan(sql, demo_catalog(), engine.name, max_rows=MAX_ROWS)
        result = await engine.execute(checked, timeout_s=120, max_rows=MAX_ROWS)
        assert not result.truncated
        answers[engine.name] = [tuple(row) for row in result.rows]
    return answers


def truncated_quotient(a: int, b: int) -> int:
    """``a / b`` truncated toward zero (Python's ``//`` floors: -7 // 2 is -4)."""
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


async def test_integer_division_truncates_toward_zero_on_both_engines(
    trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    sql = (
        "SELECT asset_id, year_built / 10 AS tens, (0 - year_built) / 7 AS neg_sevenths,"
        " year_built / 10 * 10 AS decade, count(*) OVER () / 400 AS per_400,"
        " CAST(year_built AS DOUBLE) / 8 AS eighths"
        f" FROM {RISK}.assets ORDER BY asset_id"
    )
    assets = sorted(file_rows("physical-risk/assets", "asset_id", "year_built"))
    expected = [
        (
            asset,
            truncated_quotient(year, 10),
            truncated_quotient(-year, 7),
            truncated_quotient(year, 10) * 10,
            len(assets) // 400,
            year / 8,
        )
        for asset, year in assets
    ]
    # Truncating and flooring differ on these negatives, so the test tells them apart.
    assert any(-year // 7 != truncated_quotient(-year, 7) for _, year in assets)
    for engine, rows in (await on_both(sql, trino_engine, duckdb_engine)).items():
        assert rows == expected, engine
        assert all(type(v) is int for row in rows for v in row[1:5]), engine
        assert all(type(row[5]) is float for row in rows), engine


async def test_integer_division_of_literals_and_negatives(
    trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    sql = "SELECT 7 / 2, -7 / 2, 7 / -2, -7 / -2, 7 % 2, CAST(7 AS DOUBLE) / 2"
    for engine, rows in (await on_both(sql, trino_engine, duckdb_engine)).items():
        assert rows == [(3, -3, -3, 3, 1, 3.5)], engine
        assert [type(v) for v in rows[0]] == [int] * 5 + [float], engine


async def test_date_plus_or_minus_an_interval_is_a_date_on_both_engines(
    trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    sql = (
        "SELECT station_id, min(observation_date + INTERVAL '7' DAY) AS plus_week,"
        " min(date_add('day', 7, observation_date)) AS added_week,"
        " max(observation_date - INTERVAL '1' DAY) AS minus_day"
        f" FROM {US}.us_daily_precipitation GROUP BY station_id ORDER BY station_id"
    )
    days: dict[str, list[dt.date]] = {}
    for station, day in file_rows(
        "us-precipitation/us_daily_precipitation", "station_id", "observation_date"
    ):
        days.setdefault(station, []).append(day)
    week = dt.timedelta(days=7)
    expected = [
        (s, min(d) + week, min(d) + week, max(d) - dt.timedelta(days=1))
        for s, d in sorted(days.items())
    ]
    for engine, rows in (await on_both(sql, trino_engine, duckdb_engine)).items():
        assert rows == expected, engine
        assert all(type(v) is dt.date for row in rows for v in row[1:]), engine


async def test_month_arithmetic_on_a_date_clamps_to_the_month_end_as_a_date(
    trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    sql = (
        "SELECT DATE '2024-03-31' - INTERVAL '1' MONTH, date_add('month', 1, DATE '2024-01-31'),"
        " INTERVAL '1' YEAR + DATE '2024-02-29'"
    )
    expected = [(dt.date(2024, 2, 29), dt.date(2024, 2, 29), dt.date(2025, 2, 28))]
    for engine, rows in (await on_both(sql, trino_engine, duckdb_engine)).items():
        assert rows == expected, engine
        assert all(type(v) is dt.date for v in rows[0]), engine


async def test_a_char_column_is_read_without_its_pad_in_a_union(
    trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    sql = (
        f"SELECT 'US' AS country, station_id FROM {US}.us_daily_precipitation"
        f" UNION SELECT 'FR', station_id FROM {FR}.fr_daily_precipitation"
        " ORDER BY country, station_id"
    )
    fr = sorted({s for (s,) in file_rows("france-precipitation/fr_daily_precipitation",
                                           "station_id")})  # fmt: skip
    us = sorted({s for (s,) in file_rows("us-precipitation/us_daily_precipitation",
                                           "station_id")})  # fmt: skip
    assert all(len(s) == 8 for s in fr) and all(len(s) == 11 for s in us)
    expected = [("FR", s) for s in fr] + [("US", s) for s in us]
    for engine, rows in (await on_both(sql, trino_engine, duckdb_engine)).items():
        assert rows == expected, engine


async def test_a_contract_boolean_kept_in_mariadb_is_a_boolean(
    trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    sql = (
        "SELECT metropolitan_area, observation_date, hot_day, NOT hot_day AS cool"
        f" FROM {METRO}.metropolitan_daily_temperatures"
        " ORDER BY metropolitan_area, observation_date"
    )
    rows_in_file = file_rows(
        "metropolitan-temperatures/metropolitan_daily_temperatures",
        "metropolitan_area", "observation_date", "hot_day",
    )  # fmt: skip
    expected = [(a, d, hot, not hot) for a, d, hot in sorted(rows_in_file)]
    assert {hot for _, _, hot, _ in expected} == {True, False}
    for engine, rows in (await on_both(sql, trino_engine, duckdb_engine)).items():
        assert rows == expected, engine
        assert all(type(row[2]) is bool and type(row[3]) is bool for row in rows), engine


async def test_a_zoneless_mariadb_timestamp_is_the_utc_instant(
    trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    sql = (
        "SELECT station_id, observation_date, ingested_at,"
        " date_trunc('hour', ingested_at) AS hour"
        f" FROM {US}.us_daily_precipitation ORDER BY station_id, observation_date"
    )
    rows_in_file = file_rows(
        "us-precipitation/us_daily_precipitation", "station_id", "observation_date", "ingested_at"
    )
    expected = [
        (s, d, at, at.replace(minute=0, second=0, microsecond=0))
        for s, d, at in sorted(rows_in_file)
    ]
    assert all(at.utcoffset() == dt.timedelta(0) for _, _, at, _ in expected)
    for engine, rows in (await on_both(sql, trino_engine, duckdb_engine)).items():
        # Aware datetimes compare as instants; the offset is checked on its own.
        assert rows == expected, engine
        assert all(row[2].utcoffset() == dt.timedelta(0) for row in rows), engine
        assert all(row[3].utcoffset() == dt.timedelta(0) for row in rows), engine


@pytest.mark.parametrize(
    "sql",
    ["VALUES (1, 'a'), (2, 'b')", "SELECT 1 + 0, lower('a') UNION ALL SELECT 2, 'b'"],
    ids=["bare-values", "union"],
)
async def test_unnamed_columns_have_the_planners_names_on_both_engines(
    sql: str, trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    # docs/sql.md: an expression without a name is _col_0, _col_1, ... on both engines
    # (left alone, DuckDB names a bare VALUES col0 and Trino _col0).
    for engine in (trino_engine, duckdb_engine):
        checked = plan(sql, demo_catalog(), engine.name, max_rows=MAX_ROWS)
        result = await engine.execute(checked, timeout_s=60, max_rows=MAX_ROWS)
        assert [name for name, _ in result.columns] == ["_col_0", "_col_1"], engine.name
        assert sorted(tuple(row) for row in result.rows) == [(1, "a"), (2, "b")]


async def fails_on_both(
    sql: str, trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> dict[str, SqlEngineError]:
    """The error each engine raises for ``sql``, by engine name (the test fails if one answers)."""
    errors = {}
    for engine in (trino_engine, duckdb_engine):
        checked = plan(sql, demo_catalog(), engine.name, max_rows=MAX_ROWS)
        with pytest.raises(SqlEngineError) as caught:
            await engine.execute(checked, timeout_s=120, max_rows=MAX_ROWS)
        errors[engine.name] = caught.value
    return errors


@pytest.mark.parametrize(
    "expression",
    [
        "7 / 0", "7 % 0", "mod(7, 0)", "CAST(7 AS BIGINT) / CAST(0 AS TINYINT)",
        "CAST(7 AS DECIMAL(5, 2)) / 0", "CAST(7 AS DECIMAL(5, 2)) % 0", "7.5 / 0", "7 / 0.0",
        "7 / CAST(0 AS DECIMAL(3, 1))",
    ],
)  # fmt: skip
async def test_an_exact_division_by_zero_fails_on_both_engines(
    expression: str, trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    # Trino's dialect: an integer or decimal divided by zero is an error (DuckDB said NULL
    # for integers and Infinity for decimals).
    errors = await fails_on_both(f"SELECT {expression}", trino_engine, duckdb_engine)
    for engine, error in errors.items():
        assert error.code == "SQL_ENGINE_ERROR", engine
        assert "division by zero" in error.message.lower(), engine


async def test_a_zero_divisor_in_a_column_fails_only_for_its_rows(
    trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    assets = sorted(file_rows("physical-risk/assets", "asset_id", "year_built"))
    first = assets[0][1]
    division = f"year_built / (year_built - {first}), year_built % (year_built - {first})"
    others = f"SELECT asset_id, {division} FROM {RISK}.assets WHERE year_built <> {first}"
    expected = [
        (a, truncated_quotient(y, y - first), y - truncated_quotient(y, y - first) * (y - first))
        for a, y in assets
        if y != first
    ]
    assert expected and len(expected) < len(assets)
    for engine, rows in (await on_both(f"{others} ORDER BY asset_id", trino_engine,
                                       duckdb_engine)).items():  # fmt: skip
        assert rows == expected, engine
    every = f"SELECT asset_id, year_built / (year_built - {first}) FROM {RISK}.assets"
    for engine, error in (await fails_on_both(every, trino_engine, duckdb_engine)).items():
        assert "division by zero" in error.message.lower(), engine


async def test_a_null_divided_by_zero_is_null_and_a_double_one_is_infinite(
    trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    sql = (
        "SELECT CAST(NULL AS BIGINT) / 0, CAST(NULL AS DECIMAL(5, 2)) % 0,"
        " CAST(7 AS DOUBLE) / 0, -7 / CAST(0 AS DOUBLE), 7.5e0 / 0,"
        " CAST(0 AS DOUBLE) / 0, CAST(7 AS DOUBLE) % 0"
    )
    for engine, rows in (await on_both(sql, trino_engine, duckdb_engine)).items():
        assert len(rows) == 1, engine
        null_int, null_dec, plus, minus, literal, zero, rest = rows[0]
        assert null_int is None and null_dec is None, engine
        assert (plus, minus, literal) == (math.inf, -math.inf, math.inf), engine
        assert math.isnan(zero) and math.isnan(rest), engine
