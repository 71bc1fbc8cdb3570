"""Column lineage of planned statements, on the demo catalog and the real planner: each
answer column names the input columns it comes from and how (IDENTITY, TRANSFORMATION,
AGGREGATION), through CTEs, subqueries, joins and UNION; the events stay valid by the
spec's ColumnLineageDatasetFacet schema; a statement of thousands of columns (or one
whose CTEs fan out) costs a bounded facet, quickly."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.federation.catalog import StaticCatalog, build_catalog
from gateway.federation.planner import Plan, plan
from gateway.federation.records import QueryRecord
from gateway.identity import Principal
from gateway.openlineage import query_run, to_json
from gateway.openlineage.columns import MAX_INPUT_FIELDS, MAX_OUTPUT_COLUMNS
from tests.federation.engines.conftest import contract_entries
from tests.openlineage.spec_check import validate_event

US = 'precipitation."us-precipitation"'
FR = 'precipitation."france-precipitation"'
US_DAILY = "precipitation.us-precipitation.us_daily_precipitation"
US_STATIONS = "precipitation.us-precipitation.us_stations"
FR_DAILY = "precipitation.france-precipitation.fr_daily_precipitation"


@pytest.fixture(scope="module")
def catalog() -> StaticCatalog:
    return build_catalog(contract_entries({}))


def events(planned: Plan, sql: str) -> list[dict[str, Any]]:
    entry = QueryRecord("alice", sql, "duckdb", "ok", 1, 5.0, planned, datetime.now(UTC))
    run = query_run(entry, namespace="meshgate")
    found = [json.loads(to_json(run.start)), json.loads(to_json(run.end))]
    for event in found:
        validate_event(event)  # the facet by its own vendored schema too
    return found


def lineage_of(planned: Plan, sql: str) -> dict[str, dict[tuple[str, str], str]]:
    """Answer column -> {(input table, column): subtype}, from the COMPLETE event."""
    end = events(planned, sql)[1]
    if not end["outputs"]:
        return {}
    (output,) = end["outputs"]
    assert output["namespace"] == "meshgate" and output["name"] == f"{end['job']['name']}.result"
    fields = output["facets"]["columnLineage"]["fields"]
    found: dict[str, dict[tuple[str, str], str]] = {}
    for column, value in fields.items():
        for source in value["inputFields"]:
            assert source["namespace"] == "meshgate://" + source["name"].split(".")[0]
            (step,) = source["transformations"]
            assert step["type"] == "DIRECT"
            found.setdefault(column, {})[(source["name"], source["field"])] = step["subtype"]
    return found


def test_each_answer_column_names_its_sources_through_ctes_joins_and_aggregates(
    catalog: StaticCatalog,
) -> None:
    sql = (
        f"WITH d AS (SELECT station_id, precipitation_in * 25.4 AS mm "
        f"FROM {US}.us_daily_precipitation) "
        f"SELECT s.state_code AS state, s.station_id, sum(d.mm) AS total_mm, count(*) AS days "
        f"FROM d JOIN {US}.us_stations s ON s.station_id = d.station_id "
        f"WHERE s.elevation_m > 0 GROUP BY 1, 2"
    )
    found = lineage_of(plan(sql, catalog, "duckdb", max_rows=10), sql)
    assert found == {
        "state": {(US_STATIONS, "state_code"): "IDENTITY"},
        "station_id": {(US_STATIONS, "station_id"): "IDENTITY"},
        "total_mm": {(US_DAILY, "precipitation_in"): "AGGREGATION"},
        # days reads no column (count(*)); the join and filter columns are not DIRECT.
    }


def test_union_all_pairs_columns_by_position_and_a_star_is_every_column(
    catalog: StaticCatalog,
) -> None:
    sql = (
        f"SELECT station_id, precipitation_in * 25.4 AS mm FROM {US}.us_daily_precipitation "
        f"UNION ALL SELECT station_id, precipitation_mm FROM {FR}.fr_daily_precipitation"
    )
    found = lineage_of(plan(sql, catalog, "duckdb", max_rows=10), sql)
    assert found == {
        "station_id": {(US_DAILY, "station_id"): "IDENTITY", (FR_DAILY, "station_id"): "IDENTITY"},
        "mm": {(US_DAILY, "precipitation_in"): "TRANSFORMATION",
               (FR_DAILY, "precipitation_mm"): "IDENTITY"},
    }  # fmt: skip
    star = f"SELECT * FROM (SELECT * FROM {US}.us_stations) AS x"
    found = lineage_of(plan(star, catalog, "duckdb", max_rows=10), star)
    declared = [c.name for c in catalog.get(US_STATIONS).columns]  # type: ignore[union-attr]
    assert sorted(found) == sorted(declared)
    assert all(v == {(US_STATIONS, k): "IDENTITY"} for k, v in found.items())


def test_a_refused_statement_and_a_constant_answer_have_no_output(catalog: StaticCatalog) -> None:
    constant = "SELECT 1 AS one"
    assert events(plan(constant, catalog, "duckdb", max_rows=10), constant)[1]["outputs"] == []
    entry = QueryRecord("a", "SELECT x FROM nowhere", "duckdb", "TABLE_NOT_FOUND", 0, 1.0,
                        None, datetime.now(UTC))  # fmt: skip
    assert json.loads(to_json(query_run(entry, namespace="m").end))["outputs"] == []


def wide_catalog(columns: int) -> StaticCatalog:
    """The demo catalog plus a US table of ``columns`` columns (planned, never read)."""
    entries = contract_entries({})
    product_id, domain, slug, raw = next(e for e in entries if e[2] == "us-precipitation")
    wide = copy.deepcopy(dict(raw))
    wide["schema"] = [{"name": "wide", "physicalName": "wide",
                       "properties": [{"name": f"c{i}", "logicalType": "number"}
                                      for i in range(columns)]}]  # fmt: skip
    return build_catalog([(product_id, domain, slug, wide)])


def test_thousands_of_answer_columns_cost_a_bounded_facet() -> None:
    catalog = wide_catalog(3000)
    sql = f"SELECT * FROM {US}.wide"
    planned = plan(sql, catalog, "duckdb", max_rows=10)
    entry = QueryRecord("alice", sql, "duckdb", "ok", 1, 5.0, planned, datetime.now(UTC))
    started = time.monotonic()
    query_run(entry, namespace="meshgate")  # what the emitter's worker thread does
    elapsed = time.monotonic() - started
    assert elapsed < 15, f"{elapsed:.1f} s"  # about 1 s unloaded
    found = lineage_of(planned, sql)
    assert len(found) == MAX_OUTPUT_COLUMNS  # the first ones, each to its own column
    assert found["c0"] == {("precipitation.us-precipitation.wide", "c0"): "IDENTITY"}
    assert f"c{MAX_OUTPUT_COLUMNS}" not in found


def test_one_column_of_hundreds_of_inputs_lists_a_bounded_number() -> None:
    catalog = wide_catalog(300)
    sql = "SELECT coalesce(" + ", ".join(f"c{i}" for i in range(300)) + f") AS total FROM {US}.wide"
    found = lineage_of(plan(sql, catalog, "duckdb", max_rows=10), sql)
    assert len(found["total"]) == MAX_INPUT_FIELDS
    assert set(found["total"].values()) == {"TRANSFORMATION"}


def test_ctes_that_fan_out_are_walked_once_per_node() -> None:
    """Each CTE reads the one before twice: 2**20 paths from the answer to the table,
    20 nodes to walk."""
    catalog = wide_catalog(2)
    ctes = [f"a0 AS (SELECT c0 AS x FROM {US}.wide)"]
    for i in range(1, 21):
        ctes.append(f"a{i} AS (SELECT p.x + q.x AS x FROM a{i - 1} AS p, a{i - 1} AS q)")
    sql = "WITH " + ", ".join(ctes) + " SELECT x FROM a20"
    started = time.monotonic()
    found = lineage_of(plan(sql, catalog, "duckdb", max_rows=10), sql)
    assert found == {"x": {("precipitation.us-precipitation.wide", "c0"): "TRANSFORMATION"}}
    assert time.monotonic() - started < 20


def test_a_column_the_caller_was_given_masked_says_so(catalog: StaticCatalog) -> None:
    """The physical risk contract masks ``asset_id`` (confidential) for its ``analyst``
    role and shows it in clear to ``risk_analyst``."""
    sql = 'SELECT asset_id, company_lei FROM "physical-risk"."physical-risk".assets'
    analyst = Principal("ana", roles=frozenset({"analyst"}))
    masked = lineage_of(plan(sql, catalog, "duckdb", max_rows=10, principal=analyst), sql)
    assets = "physical-risk.physical-risk.assets"
    expected = {"asset_id": True, "company_lei": False}
    assert {c: set(v) for c, v in masked.items()} == {c: {(assets, c)} for c in expected}
    clear = Principal("rita", roles=frozenset({"risk_analyst"}))
    planned = plan(sql, catalog, "duckdb", max_rows=10, principal=clear)
    end = events(planned, sql)[1]
    fields = end["outputs"][0]["facets"]["columnLineage"]["fields"]
    assert not fields["asset_id"]["inputFields"][0]["transformations"][0]["masking"]
    end = events(plan(sql, catalog, "duckdb", max_rows=10, principal=analyst), sql)[1]
    fields = end["outputs"][0]["facets"]["columnLineage"]["fields"]
    for column, flag in expected.items():
        assert fields[column]["inputFields"][0]["transformations"][0]["masking"] is flag
