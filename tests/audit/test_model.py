"""How a query becomes an audit event, and the modules' docstring examples."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.audit import DETAIL_LIMIT, event_of_query
from gateway.federation import plan
from gateway.federation.records import QueryRecord
from gateway.identity import Principal
from tests.federation.demo_catalog import demo_catalog

AT = datetime(2026, 11, 1, tzinfo=UTC)
TWO_VERSIONS = """SELECT a.station_key, b.h3_cell
FROM precipitation."global-precipitation"."global_daily_precipitation@1" a
JOIN precipitation."global-precipitation"."global_daily_precipitation@2" b
  ON a.h3_cell = b.h3_cell"""


def record(sql: str, **fields: object) -> QueryRecord:
    values: dict[str, object] = {
        "caller": "10.0.0.1", "sql": sql, "engine": "duckdb", "outcome": "ok", "rows": 3,
        "elapsed_ms": 1.0, "plan": plan(sql, demo_catalog(), "duckdb", max_rows=10), "at": AT,
    }  # fmt: skip
    values.update(fields)
    return QueryRecord(**values)  # type: ignore[arg-type]


def test_two_versions_of_a_table_are_one_table_with_their_columns() -> None:
    event = event_of_query(record(TWO_VERSIONS, principal=Principal("ana")))
    [product] = event.products
    assert product.key == "precipitation.global-precipitation"
    [table] = event.tables
    assert table.table == "precipitation.global-precipitation.global_daily_precipitation"
    assert set(table.columns) == {"station_key", "h3_cell"}
    assert (event.actor.subject, event.actor.kind, event.rows) == ("ana", "user", 3)


def test_a_refusal_that_names_a_product_is_listed_under_it() -> None:
    event = event_of_query(
        record("SELECT 1", plan=None, outcome="FORBIDDEN", rows=0, error_product_id="p-9")
    )
    assert [(p.id, p.key) for p in event.products] == [("p-9", None)]
    assert event.tables == () and event.outcome == "FORBIDDEN"


def test_an_internal_query_has_an_unknown_actor_and_a_clipped_detail() -> None:
    long_sql = "SELECT 1" + " " * 10_000
    event = event_of_query(record(long_sql, plan=None, principal=None))
    assert (event.actor.subject, event.actor.kind) == ("unknown", "unknown")
    assert len(event.detail) == DETAIL_LIMIT
