"""One suite, two engines: every corpus statement gives the same rows on Trino and DuckDB."""

from __future__ import annotations

import pytest

from gateway.federation.engines import DuckDBEngine
from gateway.federation.engines.trino_engine import TrinoEngine
from gateway.federation.planner import plan
from tests.federation.demo_catalog import demo_catalog
from tests.federation.two_engines.compare import normalised
from tests.federation.two_engines.corpus import STATEMENTS, Statement

MAX_ROWS = 20_000
CASES = [pytest.param(s, id=s.id) for s in STATEMENTS]


@pytest.mark.parametrize("statement", CASES)
async def test_same_answer_on_both_engines(
    statement: Statement, trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    catalog = demo_catalog()
    on_trino = await trino_engine.execute(
        plan(statement.sql, catalog, "trino", max_rows=MAX_ROWS), timeout_s=120, max_rows=MAX_ROWS
    )
    on_duckdb = await duckdb_engine.execute(
        plan(statement.sql, catalog, "duckdb", max_rows=MAX_ROWS), timeout_s=120, max_rows=MAX_ROWS
    )
    assert on_duckdb.rows, "every corpus statement answers some rows on the demo data"
    assert not on_trino.truncated and not on_duckdb.truncated
    assert [c for c, _ in on_trino.columns] == [c for c, _ in on_duckdb.columns]
    assert normalised(on_trino.rows) == normalised(on_duckdb.rows)
