"""Property: whatever SQL a caller sends, the planner answers a GatewayError or a plan that
the independent oracle finds within the rules; and on the real DuckDB engine over the demo
data, no statement outside the rules is ever run, nor does the engine crash.

Bounded in ``make test`` (profile ``ci``); ``make fuzz`` runs the long profile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.errors import GatewayError
from gateway.federation import plan
from gateway.federation.engines import DuckDBEngine
from tests.federation.demo_catalog import ROOT, demo_catalog
from tests.fuzz.conftest import sql_settings
from tests.fuzz.engine_spy import EngineSpy, spying
from tests.fuzz.figures import FIGURES
from tests.fuzz.oracle import violations
from tests.fuzz.sql_grammar import statements

ENGINE_TIMEOUT_S = 2.0  # a cross join of big tables may run long: a timeout is an answer


def planned_or_refused(sql: str, engine: str, suite: str) -> str | None:
    """The plan's engine SQL, or None when the planner refused with a GatewayError.

    Any other exception escapes: that is a finding (a crash of the planner)."""
    figures = FIGURES[suite]
    figures.tried += 1
    try:
        result = plan(sql, demo_catalog(), engine, max_rows=10)
    except GatewayError as exc:
        figures.refuse(exc.code)
        return None
    figures.accepted += 1
    return result.sql


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
def test_the_planner_refuses_or_plans_within_the_rules(engine: str) -> None:
    @sql_settings()
    @given(sql=statements())
    def prop(sql: str) -> None:
        engine_sql = planned_or_refused(sql, engine, "sql-planner")
        if engine_sql is None:
            return
        problems = violations(engine_sql, engine, demo_catalog())
        if problems:
            FIGURES["sql-planner"].violations += 1
        assert not problems, f"{sql!r} planned for {engine} as {engine_sql!r}: {problems}"

    prop()


@pytest.fixture(scope="module")
def duckdb_engine() -> Iterator[DuckDBEngine]:
    """The real DuckDB engine over the demo data under the checkout (``make test`` makes it)."""
    if not (ROOT / "demo" / "data" / ".generated").exists():
        pytest.fail("demo data missing: run `make demo-data` (make test does)")
    engine = DuckDBEngine(demo_catalog().tables(), root=ROOT)
    assert not engine.unavailable, engine.unavailable
    yield engine
    asyncio.run(engine.close())


def test_no_statement_outside_the_rules_reaches_duckdb(
    duckdb_engine: DuckDBEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures = FIGURES["sql-engine"]
    with spying(monkeypatch, demo_catalog()) as spy:

        @sql_settings()
        @given(sql=statements(), stream=st.booleans())
        def prop(sql: str, stream: bool) -> None:
            spy.clear()
            figures.tried += 1
            try:
                checked = plan(sql, demo_catalog(), "duckdb", max_rows=10)
            except GatewayError as exc:
                figures.refuse(exc.code)
                assert spy.reached == []
                return
            figures.accepted += 1
            try:
                if stream:
                    for _ in duckdb_engine.stream_batches(checked, 100, timeout_s=ENGINE_TIMEOUT_S):
                        break
                else:
                    asyncio.run(
                        duckdb_engine.execute(checked, timeout_s=ENGINE_TIMEOUT_S, max_rows=10)
                    )
            except GatewayError as exc:  # the engine refused or failed, with a code
                figures.refuse(f"engine:{exc.code}")
            record(figures, spy, sql)
            # The engine is still alive and answers.
            assert asyncio.run(duckdb_engine.run_sql("SELECT 1", timeout_s=5, max_rows=1)).rows
            spy.clear()

        prop()


def record(figures: object, spy: EngineSpy, sql: str) -> None:
    """Count what reached the engine; fail on any statement the oracle refuses."""
    reached = FIGURES["sql-engine"]
    reached.reached_engine += len(spy.reached)
    bad = spy.bad
    reached.violations += len(bad)
    assert not bad, [(sql, r.sql, r.problems) for r in bad]
