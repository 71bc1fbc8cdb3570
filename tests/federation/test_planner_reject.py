"""Must-reject: every statement here is refused before any engine could see it, with its
stable code and a reason that says why.
"""

from __future__ import annotations

import pytest

from gateway.errors import GatewayError
from gateway.federation import PlannerLimits, plan
from tests.federation.demo_catalog import demo_catalog

US = 'precipitation."us-precipitation".us_daily_precipitation'
ST = 'precipitation."us-precipitation".us_stations'
FR = 'precipitation."france-precipitation".fr_daily_precipitation'
NOT = "SQL_NOT_ALLOWED"

REJECT: list[tuple[str, str, str, str]] = [
    # (id, statement, code, fragment of the message)
    ("insert", f"INSERT INTO {US} VALUES ('x')", NOT, "DML statements change data (INSERT)"),
    ("update", f"UPDATE {US} SET precipitation_in = 0", NOT, "(UPDATE)"),
    ("delete", f"DELETE FROM {US}", NOT, "(DELETE)"),
    (
        "merge",
        f"MERGE INTO {US} t USING {FR} s ON t.station_id = s.station_id WHEN MATCHED THEN DELETE",
        NOT,
        "(MERGE)",
    ),
    ("create-table", "CREATE TABLE t (a int)", NOT, "DDL statements change the schema (CREATE)"),
    ("ctas", f"CREATE TABLE t AS SELECT * FROM {US}", NOT, "(CREATE)"),
    ("create-view", f"CREATE VIEW v AS SELECT * FROM {US}", NOT, "(CREATE)"),
    ("drop", f"DROP TABLE {US}", NOT, "(DROP)"),
    ("alter", f"ALTER TABLE {US} ADD COLUMN x int", NOT, "(ALTER)"),
    ("truncate", f"TRUNCATE TABLE {US}", NOT, "(TRUNCATE)"),
    ("call", "CALL system.runtime.kill_query('q', 'm')", NOT, "CALL statements"),
    ("show", "SHOW TABLES", NOT, "SHOW statements"),
    ("show-catalogs", "SHOW CATALOGS", NOT, "SHOW statements"),
    ("set-session", "SET SESSION query_max_run_time = '1h'", NOT, "SET statements"),
    ("reset", "RESET SESSION query_max_run_time", NOT, "RESET statements"),
    ("prepare", f"PREPARE p FROM SELECT * FROM {US}", NOT, "PREPARE statements"),
    ("execute", "EXECUTE p", NOT, "EXECUTE statements"),
    ("explain-analyze", f"EXPLAIN ANALYZE SELECT * FROM {US}", NOT, "EXPLAIN is not a query"),
    ("use", "USE demo_pg.public", NOT, "USE statements"),
    ("describe", f"DESCRIBE {US}", NOT, "DESCRIBE statements"),
    ("grant", f"GRANT SELECT ON {US} TO PUBLIC", NOT, "GRANT statements"),
    ("start-transaction", "START TRANSACTION", NOT, "statements are not allowed"),
    ("commit", "COMMIT", NOT, "statements are not allowed"),
    ("copy", "COPY t FROM '/etc/passwd'", NOT, "(COPY)"),
    ("attach", "ATTACH '/tmp/x.db' AS x", "SQL_INVALID", "does not parse"),
    ("install", "INSTALL httpfs", NOT, "INSTALL statements"),
    ("load", "LOAD httpfs", NOT, "LOAD statements"),
    ("pragma", "PRAGMA enable_profiling", NOT, "PRAGMA statements"),
    ("two-statements", f"SELECT 1; SELECT * FROM {US}", NOT, "multiple statements (2)"),
    ("select-then-drop", f"SELECT 1; DROP TABLE {US}", NOT, "multiple statements"),
    ("comment-hides-drop", f"SELECT 1 -- harmless\n; DROP TABLE {US}", NOT, "multiple statements"),
    ("block-comment-hides", "SELECT 1 /* ; */; DELETE FROM t", NOT, "multiple statements"),
    ("select-into", f"SELECT * INTO copy_of_us FROM {US}", NOT, "SELECT ... INTO"),
    ("read-parquet", "SELECT * FROM read_parquet('/etc/passwd')", NOT, "table functions"),
    ("read-csv", "SELECT * FROM read_csv('/etc/passwd')", NOT, "table functions"),
    ("read-csv-in-select", "SELECT read_csv('/etc/passwd')", NOT, "read_csv"),
    ("glob", "SELECT * FROM glob('/etc/*', 'x')", NOT, "table functions"),
    ("table-function", "SELECT * FROM TABLE(sequence(1, 3))", NOT, "table functions"),
    ("unnest", "SELECT * FROM UNNEST(ARRAY[1, 2]) AS t(x)", NOT, "table functions"),
    ("quoted-file-path", 'SELECT * FROM "/etc/passwd"', NOT, "file paths are not tables"),
    ("string-file-path", "SELECT * FROM 'data/secret.parquet'", NOT, "file paths are not tables"),
    (
        "relative-file",
        'SELECT * FROM "demo/data/us-precipitation/us_stations.parquet"',
        NOT,
        "file paths",
    ),
    ("system-nodes", "SELECT * FROM system.runtime.nodes", NOT, "system and metadata tables"),
    (
        "information-schema",
        "SELECT * FROM demo_pg.information_schema.tables",
        NOT,
        "system and metadata tables",
    ),
    (
        "information-schema-2",
        "SELECT * FROM information_schema.columns",
        NOT,
        "system and metadata",
    ),
    ("pg-catalog", "SELECT * FROM demo_pg.pg_catalog.pg_user", NOT, "system and metadata"),
    (
        "physical-name",
        "SELECT * FROM demo_pg.precipitation_us_precipitation.us_stations",
        "TABLE_NOT_FOUND",
        "does not exist",
    ),
    (
        "mesh-view",
        'SELECT * FROM mesh."precipitation__us_precipitation__us_stations"',
        "TABLE_NOT_FOUND",
        "domain.product.table",
    ),
    (
        "unknown-table-suggestion",
        "SELECT * FROM precipitation.us_precipitation.us_daily_precipitation",
        "TABLE_NOT_FOUND",
        "did you mean precipitation.us-precipitation.us_daily_precipitation",
    ),
    (
        "input-only-name",
        'SELECT * FROM precipitation."us-precipitation".raw_noaa',
        "TABLE_NOT_FOUND",
        "does not exist",
    ),
    (
        "unknown-version",
        'SELECT * FROM precipitation."global-precipitation"."global_daily_precipitation@3.0.0"',
        "TABLE_NOT_FOUND",
        "did you mean",
    ),
    ("undeclared-column", f"SELECT secret FROM {US}", "COLUMN_NOT_FOUND", "not declared"),
    ("undeclared-qualified", f"SELECT u.secret FROM {US} u", "COLUMN_NOT_FOUND", "not declared"),
    (
        "undeclared-in-where",
        f"SELECT station_id FROM {US} WHERE ctid IS NOT NULL",
        "COLUMN_NOT_FOUND",
        "ctid",
    ),
    (
        "undeclared-in-cte",
        f"WITH x AS (SELECT _rowid FROM {US}) SELECT * FROM x",
        "COLUMN_NOT_FOUND",
        "_rowid",
    ),
    (
        "column-typo",
        f"SELECT precipitation_inch FROM {US}",
        "COLUMN_NOT_FOUND",
        "did you mean precipitation_in",
    ),
    ("whole-row", f"SELECT u FROM {US} u", "COLUMN_NOT_FOUND", "column u is not declared"),
    ("unknown-alias", f"SELECT q.station_id FROM {US} u", "COLUMN_NOT_FOUND", "q"),
    ("ambiguous", f"SELECT station_id FROM {US} a, {ST} b", "SQL_INVALID", "ambiguous"),
    (
        "not-allowed-function",
        f"SELECT current_setting('x') FROM {US}",
        NOT,
        "function current_setting",
    ),
    ("getenv", "SELECT getenv('HOME')", NOT, "function getenv"),
    ("h3", f"SELECT h3_cell_to_parent(h3_cell, 5) FROM {US}", NOT, "function h3_cell_to_parent"),
    (
        "with-ties",
        f"SELECT station_id FROM {US} ORDER BY 1 FETCH FIRST 1 ROWS WITH TIES",
        NOT,
        "WITH TIES",
    ),
    ("syntax-error", "SELEC 1", "SQL_INVALID", "does not parse"),
    ("empty", "  ; ", "SQL_INVALID", "empty"),
    ("deep-nesting", "SELECT " + "(" * 40 + "1" + ")" * 40, "SQL_TOO_LARGE", "nests 40 levels"),
    (
        "deep-case",
        "SELECT " + "CASE WHEN true THEN " * 40 + "1" + " END" * 40,
        "SQL_TOO_LARGE",
        "nests",
    ),
    (
        "huge-in-list",
        f"SELECT station_id FROM {US} WHERE precipitation_in IN ("
        + ", ".join(str(i) for i in range(20_000))
        + ")",
        "SQL_TOO_LARGE",
        "nodes",
    ),
    (
        "long-chain",
        "SELECT " + " + ".join(["precipitation_in"] * 150) + f" FROM {US}",
        "SQL_TOO_LARGE",
        "deeper than 100 levels",
    ),
    ("not-chain", "SELECT " + "NOT " * 3000 + "true", "SQL_TOO_LARGE", "deep"),
    ("column-alias-list", f"SELECT * FROM {US} AS t(a, b)", NOT, "column aliases on a table"),
    ("four-part-name", "SELECT * FROM a.b.c.d", "TABLE_NOT_FOUND", "domain.product.table"),
    ("for-update", f"SELECT * FROM {US} FOR UPDATE", NOT, "locking reads"),
    ("parameter", "SELECT ?", NOT, "parameters"),
    ("named-parameter", f"SELECT * FROM {US} WHERE station_id = :id", NOT, "parameters"),
    ("row-constructor", "SELECT ROW(1, 2)", NOT, "function struct"),
    ("too-many-bytes", "SELECT '" + "x" * 300_000 + "'", "SQL_TOO_LARGE", "bytes"),
    # Statements sqlglot failed on with its own exceptions (before: "Internal error.").
    ("star-without-from", "SELECT * ORDER BY 1", "SQL_INVALID", "cannot be planned"),
    ("values-grouped", "SELECT (VALUES ()) GROUP BY 1", "SQL_INVALID", "cannot be planned"),
    (
        "natural-using",
        f"SELECT * FROM {US} NATURAL JOIN {ST} USING (station_id)",
        "SQL_INVALID",
        "NATURAL join cannot also have USING",
    ),
    (
        "too-many-joins",
        f"SELECT * FROM {US} t0 " + " ".join(f"NATURAL JOIN {US} t{i}" for i in range(1, 151)),
        "SQL_TOO_LARGE",
        "more than 32 joins",
    ),
    (
        "cte-out-of-scope",
        "SELECT * FROM (WITH duckdb_settings AS (SELECT 1 AS x) "
        "SELECT x FROM duckdb_settings) t, duckdb_settings",
        "TABLE_NOT_FOUND",
        "duckdb_settings",
    ),
    (
        "having-undeclared",
        f"SELECT count(*) FROM {US} HAVING max(secret) > 0",
        "COLUMN_NOT_FOUND",
        "secret",
    ),
    ("with-recursive", "WITH RECURSIVE r AS (SELECT 1 AS n) SELECT n FROM r", NOT, "RECURSIVE"),
]


def test_the_list_is_long_enough() -> None:
    assert len(REJECT) >= 40
    assert len({r[0] for r in REJECT}) == len(REJECT)


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
@pytest.mark.parametrize(("sql", "code", "fragment"), [r[1:] for r in REJECT],
                         ids=[r[0] for r in REJECT])  # fmt: skip
def test_must_reject(sql: str, code: str, fragment: str, engine: str) -> None:
    with pytest.raises(GatewayError) as caught:
        plan(sql, demo_catalog(), engine, max_rows=100)
    assert caught.value.code == code, caught.value.message
    assert fragment in caught.value.message


def test_a_refusal_carries_its_reason_and_code_in_the_graphql_extensions() -> None:
    with pytest.raises(GatewayError) as caught:
        plan("DELETE FROM t", demo_catalog(), "duckdb", max_rows=1)
    assert caught.value.extensions["code"] == "SQL_NOT_ALLOWED"
    assert "DELETE" in caught.value.extensions["reason"]


def test_an_unknown_table_lists_its_suggestions() -> None:
    with pytest.raises(GatewayError) as caught:
        plan("SELECT * FROM precipitation.us_precipitation.us_stations", demo_catalog(),
             "trino", max_rows=1)  # fmt: skip
    suggestions = caught.value.extensions["suggestions"]
    assert suggestions[0] == "precipitation.us-precipitation.us_stations"
    assert all("@" not in s for s in suggestions)


def test_a_parse_error_points_at_its_line_and_column() -> None:
    with pytest.raises(GatewayError) as caught:
        plan("SELECT 1,\nFROM WHERE", demo_catalog(), "trino", max_rows=1)
    assert caught.value.code == "SQL_INVALID"
    assert caught.value.extensions["line"] == 2


def test_limits_are_settings() -> None:
    small = PlannerLimits(max_bytes=10)
    with pytest.raises(GatewayError, match="the limit is 10"):
        plan("SELECT 12345678901", demo_catalog(), "trino", max_rows=1, limits=small)
    plan("SELECT 1", demo_catalog(), "trino", max_rows=1, limits=small)
