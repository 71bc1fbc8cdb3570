"""What an engine worker does with its cursor once a statement is allowed: fetch the
rows within the answer's budget, or explain the plan. Blocking; ``started`` is when the
worker took the query (what ``elapsed_ms`` counts from)."""

from __future__ import annotations

import time

import duckdb

from gateway.federation.engines.base import Result
from gateway.federation.result_size import ResultBudget, fetch_within


def fetch(
    cursor: duckdb.DuckDBPyConnection,
    sql: str,
    started: float,
    max_rows: int,
    max_bytes: int | None,
) -> Result:
    """Run ``sql``; its first ``max_rows`` rows, ``truncated`` if there were more (raises
    ``SQL_RESULT_TOO_LARGE`` once the rows read pass ``max_bytes``)."""
    cursor.execute(sql)
    columns = tuple((str(d[0]), str(d[1])) for d in cursor.description or ())
    rows = fetch_within(cursor, max_rows, ResultBudget(max_bytes))
    return Result(
        columns=columns,
        rows=rows[:max_rows],
        truncated=len(rows) > max_rows,
        elapsed_ms=(time.perf_counter() - started) * 1000,
    )


def explain(cursor: duckdb.DuckDBPyConnection, sql: str, started: float) -> str:
    """DuckDB's physical plan of ``sql``, without running it."""
    rows = cursor.execute(f"EXPLAIN {sql}").fetchall()
    return "\n".join(str(row[-1]) for row in rows)
