"""The usage store on both backends: what it keeps, the figures it computes, restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from gateway.errors import BadRequest
from gateway.usage import OK, UsageStore, open_usage, product_usage
from gateway.usage.model import SQL_TEXT_LIMIT
from tests.usage.conftest import ASSETS, JOIN, REFUSED, TWO_VERSIONS, entry, product_of

RISK = product_of("physical-risk.physical-risk.assets")
FLOOD = product_of("flood.flood-areas.flood_prone_areas")
RAIN = product_of("precipitation.global-precipitation.global_daily_precipitation")
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


async def test_an_empty_store_has_no_figures(store: UsageStore) -> None:
    totals = await store.totals(RISK)
    assert (totals.queries, totals.rows_served, totals.callers) == (0, 0, 0)
    assert totals.last_queried_at is None
    assert await store.tables(RISK) == []
    assert await store.recent(RISK) == []
    assert await store.log() == []


async def test_a_join_counts_for_both_products_with_their_columns(store: UsageStore) -> None:
    await store.record(entry(JOIN, rows=7, at=T0))
    for product, table, columns in (
        (RISK, "physical-risk.physical-risk.assets", {"company_name", "h3_cell"}),
        (FLOOD, "flood.flood-areas.flood_prone_areas", {"flood_type", "h3_cell"}),
    ):
        totals = await store.totals(product)
        assert (totals.queries, totals.rows_served, totals.callers) == (1, 7, 1)
        assert totals.last_queried_at == T0
        [used] = await store.tables(product)
        assert used.table == table and used.queries == 1
        assert {c.name for c in used.columns} == columns
        assert all(c.queries == 1 for c in used.columns)
    assert (await store.totals(RAIN)).queries == 0


async def test_figures_add_up_over_queries(store: UsageStore) -> None:
    await store.record(entry(JOIN, rows=7, at=T0, caller="a"))
    await store.record(entry(ASSETS, rows=30, at=T0 + timedelta(minutes=1), caller="b"))
    await store.record(entry(ASSETS, rows=5, at=T0 + timedelta(minutes=2), caller="a"))
    await store.record(entry(ASSETS, rows=1, at=T0 + timedelta(minutes=3), caller=None))
    totals = await store.totals(RISK)
    assert (totals.queries, totals.rows_served, totals.callers) == (4, 43, 2)
    assert totals.last_queried_at == T0 + timedelta(minutes=3)
    [assets] = await store.tables(RISK)
    assert assets.queries == 4
    # Most read first, then by name.
    assert [(c.name, c.queries) for c in assets.columns] == [
        ("asset_id", 3), ("country_code", 3), ("company_name", 1), ("h3_cell", 1),
    ]  # fmt: skip
    assert (await store.totals(FLOOD)).rows_served == 7


async def test_a_refused_query_is_logged_but_reads_nothing(store: UsageStore) -> None:
    await store.record(entry(REFUSED, outcome="SQL_NOT_ALLOWED", planned=False, at=T0))
    [logged] = await store.log()
    assert (logged.outcome, logged.rows, logged.reads, logged.sql) == (
        "SQL_NOT_ALLOWED", 0, (), REFUSED,
    )  # fmt: skip
    assert logged.caller == "10.0.0.1" and logged.engine == "duckdb" and logged.at == T0
    for product in (RISK, FLOOD):
        assert (await store.totals(product)).queries == 0
        assert await store.recent(product) == []


async def test_an_engine_failure_is_recent_but_not_a_read(store: UsageStore) -> None:
    await store.record(entry(ASSETS, rows=3, at=T0))
    await store.record(entry(ASSETS, outcome="SQL_TIMEOUT", at=T0 + timedelta(seconds=1)))
    totals = await store.totals(RISK)
    assert (totals.queries, totals.rows_served) == (1, 3)
    assert totals.last_queried_at == T0
    assert [t.queries for t in await store.tables(RISK)] == [1]
    recent = await store.recent(RISK)
    assert [(r.outcome, r.at) for r in recent] == [("SQL_TIMEOUT", T0 + timedelta(seconds=1)),
                                                   (OK, T0)]  # fmt: skip
    [failed] = [q for q in await store.log() if q.outcome == "SQL_TIMEOUT"]
    assert [r.table for r in failed.reads] == ["physical-risk.physical-risk.assets"]


async def test_two_versions_of_a_table_count_one_query(store: UsageStore) -> None:
    await store.record(entry(TWO_VERSIONS, rows=2, at=T0))
    [logged] = await store.log()
    assert [r.contract_version for r in logged.reads] == ["1.0.0", "2.0.0"]
    assert {r.columns for r in logged.reads} == {("station_key", "h3_cell"), ("h3_cell",)}
    [table] = await store.tables(RAIN)
    assert table.queries == 1
    assert {(c.name, c.queries) for c in table.columns} == {("station_key", 1), ("h3_cell", 1)}
    assert (await store.totals(RAIN)).queries == 1


async def test_since_bounds_every_figure(store: UsageStore) -> None:
    for minute, rows in ((0, 1), (10, 10), (20, 100)):
        await store.record(entry(ASSETS, rows=rows, at=T0 + timedelta(minutes=minute)))
    since = T0 + timedelta(minutes=10)
    totals = await store.totals(RISK, since=since)
    assert (totals.queries, totals.rows_served) == (2, 110)
    assert [t.queries for t in await store.tables(RISK, since=since)] == [2]
    assert [r.rows for r in await store.recent(RISK, since=since)] == [100, 10]
    assert [q.rows for q in await store.log(since=since)] == [100, 10]
    # The same instant in another zone is the same window.
    paris = since.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Paris"))
    assert (await store.totals(RISK, since=paris)).queries == 2
    assert (await store.totals(RISK, since=T0 + timedelta(days=1))).queries == 0


async def test_recent_is_newest_first_and_bounded(store: UsageStore) -> None:
    for i in range(5):
        await store.record(entry(ASSETS, rows=i, at=T0 + timedelta(seconds=i)))
    recent = await store.recent(RISK, first=3)
    assert [r.rows for r in recent] == [4, 3, 2]
    assert recent[0].elapsed_ms == 12.5 and recent[0].engine == "duckdb"
    for bad in (0, 101):
        with pytest.raises(BadRequest, match="first"):
            await store.recent(RISK, first=bad)


async def test_product_usage_gathers_the_figures(store: UsageStore) -> None:
    await store.record(entry(JOIN, rows=4, at=T0))
    await store.record(entry(ASSETS, rows=6, at=T0 + timedelta(seconds=1)))
    usage = await product_usage(store, RISK, recent=1)
    assert (usage.totals.queries, usage.totals.rows_served) == (2, 10)
    assert [t.table for t in usage.tables] == ["physical-risk.physical-risk.assets"]
    assert [r.rows for r in usage.recent] == [6]


async def test_long_sql_is_clipped(store: UsageStore) -> None:
    long_sql = ASSETS + " WHERE asset_id IN (" + ", ".join(f"'a{i}'" for i in range(600)) + ")"
    assert len(long_sql) > SQL_TEXT_LIMIT
    await store.record(entry(long_sql, at=T0))
    [logged] = await store.log()
    assert logged.sql == long_sql[:SQL_TEXT_LIMIT]


async def test_a_restart_loses_nothing(usage_url: str) -> None:
    first = await open_usage(usage_url)
    await first.record(entry(JOIN, rows=7, at=T0))
    await first.record(entry(REFUSED, outcome="SQL_NOT_ALLOWED", planned=False, at=T0))
    before = (await first.log(), await product_usage(first, RISK))
    await first.close()
    again = await open_usage(usage_url)  # migrations already applied: nothing re-created
    try:
        assert (await again.log(), await product_usage(again, RISK)) == before
        await again.record(entry(ASSETS, rows=1, at=T0 + timedelta(seconds=1)))
        assert (await again.totals(RISK)).queries == 2
        ids = [q.id for q in await again.log()]
        assert len(set(ids)) == 3
    finally:
        await again.close()


async def test_concurrent_records_are_all_kept(store: UsageStore) -> None:
    await asyncio.gather(*(store.record(entry(ASSETS, rows=1, caller=f"c{i}")) for i in range(40)))
    totals = await store.totals(RISK)
    assert (totals.queries, totals.rows_served, totals.callers) == (40, 40, 40)


async def test_readers_name_each_caller_per_table_and_column(store: UsageStore) -> None:
    await store.record(entry(JOIN, caller="ana", at=T0))
    await store.record(entry(ASSETS, caller="ana", at=T0))
    await store.record(entry(ASSETS, caller="bob", at=T0))
    await store.record(entry(ASSETS, caller=None, at=T0))  # anonymous: names nobody
    # A query that failed in the engine was planned (it has reads) but read nothing.
    await store.record(entry(ASSETS, outcome="SQL_ENGINE_ERROR", caller="eve", at=T0))
    found = {(r.caller, r.table, r.column, r.queries) for r in await store.readers(RISK)}
    assets = "physical-risk.physical-risk.assets"
    assert found == {
        ("ana", assets, None, 2),
        ("ana", assets, "company_name", 1),
        ("ana", assets, "h3_cell", 1),
        ("ana", assets, "asset_id", 1),
        ("ana", assets, "country_code", 1),
        ("bob", assets, None, 1),
        ("bob", assets, "asset_id", 1),
        ("bob", assets, "country_code", 1),
    }
    first = await store.readers(RISK, limit=1)
    assert [(r.caller, r.column, r.queries) for r in first] == [("ana", None, 2)]
    assert await store.readers(RAIN) == []
