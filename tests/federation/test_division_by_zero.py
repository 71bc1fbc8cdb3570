"""The planner's division-by-zero guard: only the planner writes ``error(...)``, and a
chain of guarded divisions cannot grow the engine SQL without bound."""

from __future__ import annotations

import time

import pytest

from gateway.errors import SqlNotAllowed, SqlTooLarge
from gateway.federation.planner import plan
from tests.federation.demo_catalog import demo_catalog

RISK = '"physical-risk"."physical-risk".assets'


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT error('Division by zero')",
        "SELECT CASE WHEN 1 = 0 THEN error('x') ELSE 1 END",
        f"SELECT year_built FROM {RISK} WHERE error('Division by zero') IS NULL",
    ],
)
def test_a_caller_cannot_write_the_planners_error_function(sql: str, engine: str) -> None:
    with pytest.raises(SqlNotAllowed) as caught:
        plan(sql, demo_catalog(), engine, max_rows=10)
    assert caught.value.code == "SQL_NOT_ALLOWED"
    assert "error" in str(caught.value).lower()


def test_a_division_by_a_nonzero_literal_is_not_guarded() -> None:
    sql = f"SELECT year_built / 10 % 7, year_built / 0 FROM {RISK}"
    written = plan(sql, demo_catalog(), "duckdb", max_rows=10).sql
    assert written.upper().count("ERROR('DIVISION BY ZERO')") == 1
    assert "ERROR" not in plan(sql, demo_catalog(), "trino", max_rows=10).sql.upper()


def test_a_chain_of_divisions_grows_linearly_and_deep_nesting_is_refused() -> None:
    # Each guard tests its dividend's operands, not a copy of the dividend's guard: a
    # chain of 60 divisions by columns is planned (copying would make 2**60 nodes).
    chain = f"SELECT year_built{' / year_built' * 60} FROM {RISK}"
    started = time.perf_counter()
    assert plan(chain, demo_catalog(), "duckdb", max_rows=10).sql.count("ERROR(") == 60
    # A divisor that divides is written twice per level: 31 levels are refused, quickly.
    nested = f"SELECT 1{' / (year_built' * 31}{')' * 31} FROM {RISK}"
    with pytest.raises(SqlTooLarge) as caught:
        plan(nested, demo_catalog(), "duckdb", max_rows=10)
    assert caught.value.code == "SQL_TOO_LARGE"
    assert time.perf_counter() - started < 10
    assert plan(nested, demo_catalog(), "trino", max_rows=10).sql
