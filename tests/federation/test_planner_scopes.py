"""CTE names resolve per scope, and every column node of a statement is checked.

Each statement here was accepted by the planner before (issue 6, holes 4 and 5): a CTE
defined in one scope let the same one-part name through in another, where the engine
reads its own relation of that name (``duckdb_settings``, a registered file); an
unqualified column in HAVING was not in sqlglot's scope columns and went to the engine
unchecked (Trino then resolved it against the physical table). All are refused before any
engine sees them; legitimate CTE scoping still plans.
"""

from __future__ import annotations

import logging

import pytest

from gateway.errors import GatewayError
from gateway.federation import plan
from tests.federation.demo_catalog import demo_catalog

US = 'precipitation."us-precipitation".us_daily_precipitation'
ST = 'precipitation."us-precipitation".us_stations'
FILE = '"demo/data/us-precipitation/us_stations.parquet"'
TNF = "TABLE_NOT_FOUND"
CNF = "COLUMN_NOT_FOUND"

REFUSED: list[tuple[str, str, str]] = [
    # (id, statement, code)
    (
        "cte-in-a-cte-named-system-view-used-outside",
        "WITH a AS (WITH duckdb_settings AS (SELECT 1 AS x) SELECT x FROM duckdb_settings) "
        "SELECT name, value FROM duckdb_settings",
        TNF,
    ),
    (
        "cte-in-a-subquery-named-system-view-used-beside-it",
        "SELECT s.name, s.value FROM "
        "(WITH duckdb_settings AS (SELECT 1 AS x) SELECT x FROM duckdb_settings) t, "
        "duckdb_settings s",
        TNF,
    ),
    (
        "cte-in-a-scalar-subquery-named-duckdb-views",
        "SELECT (WITH duckdb_views AS (SELECT 1 AS sql) SELECT max(sql) FROM duckdb_views), "
        "v.sql FROM duckdb_views v",
        TNF,
    ),
    (
        "cte-in-an-inner-scope-named-like-a-registered-file",
        f"SELECT t.x, f.station_name FROM (WITH {FILE} AS (SELECT 1 AS x) SELECT x FROM {FILE}) t "
        f"CROSS JOIN {FILE} f",
        "SQL_NOT_ALLOWED",
    ),
    (
        "inner-with-shadowing-leaks-its-name-out",
        "WITH x AS (SELECT 1 AS a) "
        "SELECT * FROM (WITH y AS (SELECT 2 AS b) SELECT b FROM y) t, x, y",
        TNF,
    ),
    (
        "cte-used-by-an-earlier-cte",
        "WITH a AS (SELECT * FROM pg_settings), pg_settings AS (SELECT 1 AS x) SELECT * FROM a",
        TNF,
    ),
    (
        "cte-naming-itself",
        "WITH duckdb_settings AS (SELECT name FROM duckdb_settings) SELECT * FROM duckdb_settings",
        TNF,
    ),
    (
        "cte-of-a-union-branch-used-in-the-other",
        "SELECT * FROM (WITH s AS (SELECT 1 AS a) SELECT a FROM s) t UNION ALL SELECT a FROM s",
        TNF,
    ),
    (
        "with-recursive",
        "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 5) "
        "SELECT * FROM r",
        "SQL_NOT_ALLOWED",
    ),
    # Hole 5: columns outside sqlglot's scope columns.
    (
        "undeclared-in-having",
        f"SELECT station_id FROM {US} GROUP BY station_id HAVING max(secret) > 0",
        CNF,
    ),
    ("undeclared-bare-in-having", f"SELECT count(*) FROM {US} HAVING nope > 0", CNF),
    (
        "undeclared-in-having-of-a-join",
        f"SELECT u.station_id FROM {US} u JOIN {ST} s USING (station_id) "
        "GROUP BY u.station_id HAVING count(ctid) > 0",
        CNF,
    ),
    (
        "alias-shadowing-a-physical-column-in-having",
        f"SELECT count(*) AS secret FROM {US} HAVING max(secret) > 0",
        CNF,
    ),
    (
        "undeclared-in-having-of-a-cte",
        f"WITH c AS (SELECT station_id FROM {US} GROUP BY station_id HAVING min(_rowid) > 0) "
        "SELECT * FROM c",
        CNF,
    ),
    (
        "undeclared-in-a-window-order",
        f"SELECT row_number() OVER (ORDER BY secret) FROM {US}",
        CNF,
    ),
    (
        "not-an-output-of-the-subquery",
        f"SELECT t.secret FROM (SELECT station_id FROM {US}) t",
        CNF,
    ),
]

PLANNED: list[tuple[str, str]] = [
    (
        "later-cte-reads-an-earlier-one",
        "WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a) SELECT x FROM b",
    ),  # fmt: skip
    (
        "outer-cte-visible-in-a-nested-query",
        f"WITH a AS (SELECT station_id FROM {ST}) "
        f"SELECT count(*) FROM {US} u WHERE u.station_id IN (SELECT station_id FROM a)",
    ),
    (
        "inner-with-shadows-an-outer-cte",
        "WITH x AS (SELECT 1 AS a) SELECT * FROM (WITH x AS (SELECT 2 AS a) SELECT a FROM x) t, x",
    ),
    (
        "cte-of-a-set-operation",
        "WITH s AS (SELECT 1 AS a) SELECT a FROM s UNION ALL SELECT a FROM s",
    ),
    (
        "having-on-an-output-alias-ordered",
        f"SELECT station_id, count(*) AS n FROM {US} GROUP BY station_id "
        "HAVING count(*) > 1 ORDER BY n DESC",
    ),
]


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
@pytest.mark.parametrize(("sql", "code"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused_before_any_engine(sql: str, code: str, engine: str) -> None:
    with pytest.raises(GatewayError) as caught:
        plan(sql, demo_catalog(), engine, max_rows=10)
    assert caught.value.code == code, caught.value.message


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
@pytest.mark.parametrize("sql", [p[1] for p in PLANNED], ids=[p[0] for p in PLANNED])
def test_legitimate_scoping_still_plans(sql: str, engine: str) -> None:
    assert plan(sql, demo_catalog(), engine, max_rows=10).sql


def test_trino_reads_every_table_through_its_declared_columns() -> None:
    planned = plan(f"SELECT count(*) FROM {ST}", demo_catalog(), "trino", max_rows=10)
    table = demo_catalog().get("precipitation.us-precipitation.us_stations")
    assert table is not None
    reads = {c.name: f'"{c.physical_name}"' for c in table.columns}
    # state_code is char(2) in the contract: read without its pad (planner.logical_types).
    reads["state_code"] = """TRIM(TRAILING ' ' FROM CAST("state_code" AS VARCHAR))"""
    declared = ", ".join(f'{reads[c.name]} AS "{c.name}"' for c in table.columns)
    physical = ".".join(f'"{p}"' for p in table.locations["trino"].parts)
    flat = " ".join(planned.sql.split())
    assert f"FROM ( SELECT {declared} FROM {physical} ) AS " in flat


# Statements that made sqlglot raise something else than our errors (AssertionError,
# UnicodeEncodeError): before, "Internal error." in GraphQL and HTTP 500 on /sql/stream.
STRAY: list[tuple[str, str]] = [
    ("star-without-from-ordered", "SELECT * ORDER BY 1"),
    ("star-without-from-in-a-subquery", "SELECT 1 FROM (SELECT * GROUP BY 1) t"),
    ("values-in-select-grouped", "SELECT (VALUES ()) GROUP BY 1"),
    ("lone-surrogate", "SELECT '\ud800'"),
]


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
@pytest.mark.parametrize("sql", [s[1] for s in STRAY], ids=[s[0] for s in STRAY])
def test_stray_planner_exceptions_are_sql_invalid_with_one_log_line(
    sql: str, engine: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="gateway"), pytest.raises(GatewayError) as caught:
        plan(sql, demo_catalog(), engine, max_rows=10)
    assert caught.value.code == "SQL_INVALID", caught.value.message
    assert all(r.exc_info is None for r in caplog.records)  # no traceback in the log
