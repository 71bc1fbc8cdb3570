"""Fixtures of the usage tests: each store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.federation import plan
from gateway.federation.records import QueryRecord
from gateway.usage import UsageStore, open_usage
from tests.federation.demo_catalog import demo_catalog

JOIN = """SELECT a.company_name, f.flood_type
FROM "physical-risk"."physical-risk".assets a
JOIN flood."flood-areas".flood_prone_areas f ON f.h3_cell = a.h3_cell"""
ASSETS = 'SELECT asset_id, country_code FROM "physical-risk"."physical-risk".assets'
TWO_VERSIONS = """SELECT a.station_key
FROM precipitation."global-precipitation"."global_daily_precipitation@1" a
JOIN precipitation."global-precipitation"."global_daily_precipitation@2" b
  ON a.h3_cell = b.h3_cell"""
REFUSED = 'DELETE FROM "physical-risk"."physical-risk".assets'


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)],
)
def usage_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'run' / 'registry.db'}"
    dsn: str = request.getfixturevalue("fresh_postgres_dsn")
    return dsn


@pytest.fixture
async def store(usage_url: str) -> AsyncIterator[UsageStore]:
    opened = await open_usage(usage_url)
    yield opened
    await opened.close()


def product_of(table: str) -> str:
    """The product id behind a logical table of the demo catalog."""
    found = demo_catalog().get(table)
    assert found is not None, table
    return found.product_id


def entry(
    sql: str,
    *,
    outcome: str = "ok",
    rows: int = 0,
    caller: str | None = "10.0.0.1",
    at: datetime | None = None,
    planned: bool = True,
    elapsed_ms: float = 12.5,
) -> QueryRecord:
    """A record as the federation makes it, with a real plan over the demo catalog
    (none when ``planned`` is false: the planner refused the statement)."""
    checked = plan(sql, demo_catalog(), "duckdb", max_rows=100) if planned else None
    return QueryRecord(
        caller=caller,
        sql=sql,
        engine="duckdb",
        outcome=outcome,
        rows=rows,
        elapsed_ms=elapsed_ms,
        plan=checked,
        at=at or datetime.now(UTC),
    )
