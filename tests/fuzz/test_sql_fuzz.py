"""Property: whatever SQL a caller sends, the planner answers a GatewayError or a plan that
the independent oracle finds within the rules; and on the real DuckDB engine over the demo
data, no statement outside the rules is ever run, nor does the engine crash.

Bounded in ``make test`` (profile ``ci``); ``make fuzz`` runs the long profile. What the
long runs found is replayed by the regression cases at the end, every time.
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
from tests.fuzz.figures import (
    COLLECT,
    FIGURES,
    Figures,
    assert_no_findings,
    fail_or_collect,
)
from tests.fuzz.oracle import violations
from tests.fuzz.regressions import SQL_REGRESSIONS
from tests.fuzz.sql_grammar import statements

ENGINE_TIMEOUT_S = 2.0  # a cross join of big tables may run long: a timeout is an answer


def check_plan(sql: str, engine: str, suite: str) -> None:
    """The planner property for one statement: a GatewayError, or a plan the oracle accepts.

    Any other exception is a crash of the planner: it escapes (or is collected)."""
    figures = FIGURES[suite]
    figures.tried += 1
    try:
        result = plan(sql, demo_catalog(), engine, max_rows=10)
    except GatewayError as exc:
        figures.refuse(exc.code)
        return
    except Exception as exc:
        if not COLLECT:
            raise
        fail_or_collect(suite, sql, [f"planner crash {type(exc).__name__}: {str(exc)[:200]}"])
        return
    figures.accepted += 1
    problems = violations(result.sql, engine, demo_catalog())
    figures.violations += bool(problems)
    fail_or_collect(suite, sql, [f"{engine}: {p}" for p in problems])


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
def test_the_planner_refuses_or_plans_within_the_rules(engine: str) -> None:
    @sql_settings()
    @given(sql=statements())
    def prop(sql: str) -> None:
        check_plan(sql, engine, "sql-planner")

    prop()
    assert_no_findings("sql-planner")


@pytest.fixture(scope="module")
def duckdb_engine() -> Iterator[DuckDBEngine]:
    """The real DuckDB engine over the demo data under the checkout (``make test`` makes it)."""
    if not (ROOT / "demo" / "data" / ".generated").exists():
        pytest.fail("demo data missing: run `make demo-data` (make test does)")
    engine = DuckDBEngine(demo_catalog().tables(), root=ROOT)
    assert not engine.unavailable, engine.unavailable
    yield engine
    asyncio.run(engine.close())


def run_on_duckdb(
    engine: DuckDBEngine, spy: EngineSpy, sql: str, *, stream: bool, figures: Figures | None = None
) -> None:
    """The engine property for one statement: plan it, run what was accepted through the
    spy, and find the engine alive afterwards."""
    figures = figures or FIGURES["sql-engine"]
    spy.clear()
    figures.tried += 1
    try:
        checked = plan(sql, demo_catalog(), "duckdb", max_rows=10)
    except GatewayError as exc:
        figures.refuse(exc.code)
        assert spy.reached == []
        return
    except Exception:
        if not COLLECT:
            raise
        return  # the planner property reports planner crashes
    figures.accepted += 1
    problems: list[str] = []
    try:
        if stream:
            for _ in engine.stream_batches(checked, 100, timeout_s=ENGINE_TIMEOUT_S):
                break
        else:
            asyncio.run(engine.execute(checked, timeout_s=ENGINE_TIMEOUT_S, max_rows=10))
    except GatewayError as exc:  # the engine refused or failed, with a code
        figures.refuse(f"engine:{exc.code}")
    except Exception as exc:
        if not COLLECT:
            raise
        problems.append(f"engine crash {type(exc).__name__}: {str(exc)[:200]}")
    figures.reached_engine += len(spy.reached)
    figures.violations += len(spy.bad)
    problems += [f"reached duckdb: {p}" for r in spy.bad for p in r.problems]
    alive = asyncio.run(engine.run_sql("SELECT 1", timeout_s=5, max_rows=1)).rows
    if not alive:
        problems.append("the engine no longer answers SELECT 1")
    spy.clear()
    fail_or_collect("sql-engine", sql, problems)


def test_no_statement_outside_the_rules_reaches_duckdb(
    duckdb_engine: DuckDBEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with spying(monkeypatch, demo_catalog()) as spy:

        @sql_settings()
        @given(sql=statements(), stream=st.booleans())
        def prop(sql: str, stream: bool) -> None:
            run_on_duckdb(duckdb_engine, spy, sql, stream=stream)

        prop()
    assert_no_findings("sql-engine")


# -- what long runs found, replayed every time (they fail until the planner is fixed) --


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
@pytest.mark.parametrize(
    "sql", [r[1] for r in SQL_REGRESSIONS], ids=[r[0] for r in SQL_REGRESSIONS]
)
def test_sql_regression_is_refused_or_planned_within_the_rules(sql: str, engine: str) -> None:
    try:
        result = plan(sql, demo_catalog(), engine, max_rows=10)
    except GatewayError:
        return
    assert violations(result.sql, engine, demo_catalog()) == [], result.sql


@pytest.mark.parametrize(
    "sql", [r[1] for r in SQL_REGRESSIONS], ids=[r[0] for r in SQL_REGRESSIONS]
)
def test_sql_regression_reaches_duckdb_only_within_the_rules(
    sql: str, duckdb_engine: DuckDBEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with spying(monkeypatch, demo_catalog()) as spy:
        for stream in (False, True):
            try:
                run_on_duckdb(duckdb_engine, spy, sql, stream=stream, figures=Figures())
            finally:
                spy.clear()
