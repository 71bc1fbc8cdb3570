"""Cursor pagination of the graph's ``sql``: pages re-run the query with an OFFSET."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.federation.engines.test_trino_engine import normalised
from tests.graph.conftest import ROOT, Mesh, demo_product_dirs, start_mesh

PAGE = """query($q: String!, $e: SqlEngine, $n: Int, $a: String) {
  sql(query: $q, engine: $e, maxRows: $n, after: $a) {
    rows rowCount truncated warnings executedSql pageInfo { hasNextPage endCursor } } }"""

DAILY = 'precipitation."us-precipitation".us_daily_precipitation'
ORDERED = f"""SELECT station_id, observation_date, precipitation_in FROM {DAILY}
ORDER BY station_id, observation_date"""
ALL_ROWS = 10_000  # more than the table's rows: one unpaged answer holds it all


@pytest.fixture(scope="module")
def paged_mesh(
    tmp_path_factory: pytest.TempPathFactory, trino_url: str, demo_stores: Any
) -> Iterator[Mesh]:
    tmp = tmp_path_factory.mktemp("pages-mesh")
    with start_mesh(
        tmp,
        demo_product_dirs(),
        data_root=str(ROOT),
        trino_url=trino_url,
        sql_max_rows=ALL_ROWS,
    ) as mesh:
        yield mesh


def daily_rows() -> list[tuple[Any, ...]]:
    """ORDERED's answer read from the demo file without the gateway."""
    table = pq.read_table(
        ROOT / "demo" / "data" / "us-precipitation" / "us_daily_precipitation.parquet",
        columns=["station_id", "observation_date", "precipitation_in"],
    ).sort_by([("station_id", "ascending"), ("observation_date", "ascending")])
    return [tuple(r.values()) for r in table.to_pylist()]


def page(mesh: Mesh, query: str, engine: str, size: int, after: str | None = None) -> Any:
    body = mesh.query(PAGE, {"q": query, "e": engine, "n": size, "a": after})
    assert "errors" not in body, body["errors"]
    return body["data"]["sql"]


def walk(mesh: Mesh, query: str, engine: str, size: int) -> tuple[list[list[Any]], int]:
    rows: list[list[Any]] = []
    pages = 0
    after = None
    while True:
        answer = page(mesh, query, engine, size, after)
        pages += 1
        assert answer["rowCount"] <= size
        rows.extend(answer["rows"])
        if not answer["pageInfo"]["hasNextPage"]:
            return rows, pages
        assert answer["rowCount"] == size
        after = answer["pageInfo"]["endCursor"]
        assert after


@pytest.mark.parametrize("engine", ["DUCKDB", "TRINO"])
def test_pages_walk_the_whole_result(paged_mesh: Mesh, engine: str) -> None:
    expected = normalised(daily_rows())
    assert 3 * 1000 < len(expected) < ALL_ROWS
    whole = page(paged_mesh, ORDERED, engine, ALL_ROWS)
    assert not whole["pageInfo"]["hasNextPage"] and whole["rowCount"] == len(expected)
    assert normalised([tuple(r) for r in whole["rows"]]) == expected
    rows, pages = walk(paged_mesh, ORDERED, engine, 1000)
    assert pages == -(-len(expected) // 1000)
    assert normalised([tuple(r) for r in rows]) == expected
    assert whole["warnings"] == []


@pytest.mark.parametrize("engine", ["DUCKDB", "TRINO"])
def test_the_query_own_limit_and_offset_bound_the_pages(paged_mesh: Mesh, engine: str) -> None:
    query = f"{ORDERED} OFFSET 100 LIMIT 2500"
    expected = normalised(daily_rows()[100:2600])
    whole = page(paged_mesh, query, engine, ALL_ROWS)
    assert whole["rowCount"] == 2500
    assert normalised([tuple(r) for r in whole["rows"]]) == expected
    rows, pages = walk(paged_mesh, query, engine, 1000)
    assert pages == 3
    assert normalised([tuple(r) for r in rows]) == expected


def test_a_query_without_order_by_is_warned(paged_mesh: Mesh) -> None:
    query = f"SELECT station_id FROM {DAILY}"
    first = page(paged_mesh, query, "DUCKDB", 10)
    assert first["pageInfo"]["hasNextPage"]
    assert any("ORDER BY" in w for w in first["warnings"]), first["warnings"]
    assert page(paged_mesh, ORDERED, "DUCKDB", 10)["warnings"] == []
    # One page is the whole answer: its order cannot shift under the caller.
    assert page(paged_mesh, "SELECT 1 AS one", "DUCKDB", 10)["warnings"] == []


def test_the_last_page_says_no_more(paged_mesh: Mesh) -> None:
    query = f"{ORDERED} LIMIT 15"
    first = page(paged_mesh, query, "DUCKDB", 10)
    last = page(paged_mesh, query, "DUCKDB", 10, first["pageInfo"]["endCursor"])
    assert (first["rowCount"], last["rowCount"]) == (10, 5)
    assert last["pageInfo"]["hasNextPage"] is False
    assert "OFFSET 10" in last["executedSql"]


@pytest.mark.parametrize(
    ("other_query", "other_engine"),
    [(f"SELECT station_id FROM {DAILY} ORDER BY 1", "DUCKDB"), (ORDERED, "TRINO")],
)
def test_a_cursor_of_another_query_or_engine_is_refused(
    paged_mesh: Mesh, other_query: str, other_engine: str
) -> None:
    cursor = page(paged_mesh, ORDERED, "DUCKDB", 10)["pageInfo"]["endCursor"]
    body = paged_mesh.query(
        PAGE, {"q": other_query, "e": other_engine, "n": 10, "a": cursor}
    )  # fmt: skip
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert error["extensions"]["argument"] == "after"
    assert "after" in error["message"]


@pytest.mark.parametrize("garbage", ["not-a-cursor", "eyJvIjogLTF9", ""])
def test_a_forged_cursor_is_refused(paged_mesh: Mesh, garbage: str) -> None:
    body = paged_mesh.query(PAGE, {"q": ORDERED, "e": "DUCKDB", "n": 10, "a": garbage})
    error = body["errors"][0]
    assert (error["extensions"]["code"], error["extensions"]["argument"]) == (
        "BAD_REQUEST",
        "after",
    )
