"""Results of the DuckDB engine: rows, types, truncation, EXPLAIN, Arrow streaming, and a
statement planned from logical names end to end."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gateway.errors import SqlEngineError
from gateway.federation.catalog import StaticCatalog
from gateway.federation.engines import DuckDBEngine
from gateway.federation.planner import plan

from .conftest import plan_for

US_DAILY = "precipitation.us-precipitation.us_daily_precipitation"
DAILY_FILE = Path("demo/data/us-precipitation/us_daily_precipitation.parquet")


@pytest.fixture
def engine(module_engine: DuckDBEngine) -> DuckDBEngine:
    """These tests only read (a stream closed early or timed out ends its own query):
    they share one engine over the demo files."""
    return module_engine


@pytest.mark.parametrize("max_rows", [1, 7, 100])
async def test_rows_are_capped_and_truncation_flagged(
    engine: DuckDBEngine, file_catalog: StaticCatalog, demo_root: Path, max_rows: int
) -> None:
    source = pq.read_table(demo_root / DAILY_FILE).sort_by(
        [("observation_date", "ascending"), ("station_id", "ascending")]
    )
    sql = (
        "SELECT station_id, observation_date, precipitation_in FROM {us_daily_precipitation} "
        "ORDER BY observation_date, station_id"
    )
    result = await engine.execute(
        plan_for(file_catalog, sql, US_DAILY), timeout_s=10, max_rows=max_rows
    )
    expected = source.select(["station_id", "observation_date", "precipitation_in"])
    assert result.rows == [tuple(r.values()) for r in expected.slice(0, max_rows).to_pylist()]
    assert result.truncated is (source.num_rows > max_rows)
    assert result.columns == (
        ("station_id", "VARCHAR"),
        ("observation_date", "DATE"),
        ("precipitation_in", "DOUBLE"),
    )
    assert result.elapsed_ms > 0


async def test_exactly_max_rows_is_not_truncated(engine: DuckDBEngine) -> None:
    result = await engine.run_sql("SELECT * FROM range(5)", timeout_s=5, max_rows=5)
    assert (len(result.rows), result.truncated) == (5, False)
    result = await engine.run_sql("SELECT * FROM range(6)", timeout_s=5, max_rows=5)
    assert (len(result.rows), result.truncated) == (5, True)


async def test_explain_shows_the_physical_plan_without_running(
    engine: DuckDBEngine, file_catalog: StaticCatalog
) -> None:
    sql = "SELECT station_id, sum(precipitation_in) FROM {us_daily_precipitation} GROUP BY 1"
    text = await engine.explain(plan_for(file_catalog, sql, US_DAILY))
    assert "PARQUET_SCAN" in text.upper() or "READ_PARQUET" in text.upper()
    assert "AGGREGATE" in text.upper()
    with pytest.raises(SqlEngineError, match="Binder Error"):
        await engine.explain(
            plan_for(file_catalog, "SELECT nope FROM {us_daily_precipitation}", US_DAILY)
        )


async def test_engine_errors_carry_duckdbs_first_line(engine: DuckDBEngine) -> None:
    with pytest.raises(SqlEngineError) as caught:
        await engine.run_sql("SELECT 1/0::INTEGER + 'x'", timeout_s=5, max_rows=1)
    assert caught.value.code == "SQL_ENGINE_ERROR"
    assert caught.value.message.startswith(("Conversion Error", "Binder Error"))
    assert "\n" not in caught.value.message


def test_stream_batches_yields_the_whole_result_in_bounded_batches(
    engine: DuckDBEngine, file_catalog: StaticCatalog, demo_root: Path
) -> None:
    total = pq.read_metadata(demo_root / DAILY_FILE).num_rows
    query = plan_for(file_catalog, "SELECT * FROM {us_daily_precipitation}", US_DAILY)
    batches = list(engine.stream_batches(query, 1000))
    assert sum(b.num_rows for b in batches) == total
    assert max(b.num_rows for b in batches) <= 1000
    assert len(batches) >= total // 1000
    assert batches[0].schema.names == [c.name for c in query.tables[0].table.columns]
    # Closing early ends the query; the engine goes on.
    stream = engine.stream_batches(query, 10)
    assert next(stream).num_rows <= 10
    stream.close()
    assert len(list(engine.stream_batches(query, 100_000))) >= 1


def test_stream_batches_times_out(engine: DuckDBEngine, file_catalog: StaticCatalog) -> None:
    sql = (
        "SELECT a.station_id FROM {us_daily_precipitation} a, {us_daily_precipitation} b, "
        "{us_daily_precipitation} c WHERE a.precipitation_in + b.snowfall_in < c.snowfall_in - 99"
    )
    with pytest.raises(SqlEngineError, match="interrupted"):
        list(engine.stream_batches(plan_for(file_catalog, sql, US_DAILY), 100, timeout_s=0.3))


async def test_a_logical_statement_planned_and_run(
    engine: DuckDBEngine, file_catalog: StaticCatalog, demo_root: Path
) -> None:
    planned = plan(
        "SELECT s.state_code, count(*) AS days, max(p.precipitation_in) AS wettest "
        'FROM "precipitation"."us-precipitation"."us_daily_precipitation" p '
        'JOIN "precipitation"."us-precipitation"."us_stations" s ON s.station_id = p.station_id '
        "GROUP BY s.state_code ORDER BY s.state_code",
        file_catalog,
        "duckdb",
        max_rows=3,
    )
    result = await engine.execute(planned, timeout_s=10, max_rows=3)
    daily = pq.read_table(demo_root / DAILY_FILE)
    stations = pq.read_table(demo_root / "demo/data/us-precipitation/us_stations.parquet")
    joined = daily.join(
        stations.select(["station_id", "state_code"]), "station_id", join_type="inner"
    )
    grouped = joined.group_by("state_code").aggregate(
        [("station_id", "count"), ("precipitation_in", "max")]
    )
    expected = sorted(
        (r["state_code"], r["station_id_count"], r["precipitation_in_max"])
        for r in grouped.to_pylist()
    )
    assert result.rows == expected[:3]
    assert result.truncated is (len(expected) > 3)
