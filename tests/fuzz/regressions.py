"""What the fuzz found, minimised, replayed by every run (``test_*_regression_*``).

Each entry is a reproducer of a finding: it fails until the code it points at is fixed,
and is never marked xfail. Keep the shortest form Hypothesis (or the collecting long run)
gave.
"""

from __future__ import annotations

from tests.federation.demo_catalog import ROOT

ST = 'precipitation."us-precipitation".us_stations'
# A file behind a mesh view: the engine may open it, but only the view may read it.
FILE = ROOT / "demo" / "data" / "us-precipitation" / "us_stations.parquet"

# (id, statement): the planner must refuse it or plan it within the rules, and nothing
# outside the rules may reach DuckDB.
SQL_REGRESSIONS: list[tuple[str, str]] = [
    # An unqualified undeclared column under HAVING is left unchecked and reaches the
    # engine as written (issue 6 hole 5; on Trino it reads the physical table).
    ("having-undeclared-aggregate",
     f"SELECT station_id FROM {ST} GROUP BY station_id HAVING max(secret) IS NOT NULL"),
    ("having-undeclared-bare",
     f"SELECT station_id FROM {ST} GROUP BY station_id HAVING secret > 0"),
    # A CTE defined inside a scalar subquery of the SELECT list hides the one-part table
    # of the same name in the outer FROM (issue 6 hole 4): it reaches the engine as a
    # system view, or as the registered file read directly (DuckDB counts its 23 rows).
    ("cte-in-select-list-hides-system-view",
     "SELECT (WITH duckdb_settings AS (SELECT 1 AS x) SELECT 1) AS y, count(*) AS n "
     "FROM duckdb_settings"),
    ("cte-in-select-list-hides-registered-file",
     f'SELECT (WITH "{FILE}" AS (SELECT 1 AS x) SELECT 1) AS y, count(*) AS n FROM "{FILE}"'),
    # The same from an EXISTS subquery, with the CTE's columns named like the file's:
    # DuckDB reads those columns from the file itself (any column of it, declared or not).
    ("cte-in-exists-hides-registered-file-columns",
     f'SELECT f.station_name, f.elevation_m FROM "{FILE}" AS f WHERE EXISTS '
     f'(WITH "{FILE}" AS (SELECT station_name, elevation_m FROM {ST}) SELECT 1)'),
    # A CTE's body naming the CTE itself reads the outer object (not recursive).
    ("cte-body-reads-the-file-it-shadows",
     f'WITH "{FILE}" AS (SELECT count(*) AS n FROM "{FILE}") SELECT * FROM "{FILE}"'),
    # A later CTE of the same WITH hides the name from an earlier one's body.
    ("later-cte-hides-earlier-reference",
     "WITH a AS (SELECT count(*) AS n FROM duckdb_tables), duckdb_tables AS (SELECT 1 AS x) "
     "SELECT * FROM a"),
    # An aggregate over a cross join interrupted by the timer while its result was read
    # as Arrow batches: pyarrow raised OSError("INTERRUPT Error"), not SQL_TIMEOUT.
    ("interrupted-while-reading-batches",
     'SELECT array_agg("u".INdIcAtOrID) FROM "air-quality"."nyc-air-quality".air_quality AS u, '
     'temperature."metropolitan-temperatures"."metropolitan_daily_temperatures@1.0.0" AS y '
     'WHERE EXISTS (SELECT CASE WHEN "t".department_code IS NULL THEN 0 ELSE 1 END '
     'FROM precipitation."france-precipitation"."fr_stations@1.0.0" AS t) GROUP BY name'),
]  # fmt: skip

# (id, JSON body POSTed to /graphql as an admin): no 5xx, a JSON body, a code on every
# error (never INTERNAL_ERROR), nothing outside the rules handed to an engine.
GRAPHQL_REGRESSIONS: list[tuple[str, object]] = [
    # The CTE scope hole through the graph's sql field (the engine spy sees it arrive).
    ("sql-field-cte-hides-system-view",
     {"query": "query($q: String!) { sql(query: $q, engine: DUCKDB) { rowCount } }",
      "variables": {"q": "SELECT (WITH duckdb_settings AS (SELECT 1 AS x) SELECT 1) AS y, "
                         "count(*) AS n FROM duckdb_settings"}}),
    # Strawberry reads .get on the parsed body: a JSON string or number is a 500.
    ("body-is-a-json-string", "string"),
    ("body-is-a-json-number", 1),
    # Strawberry's own 400s are text/plain, without a code.
    ("body-without-query", {}),
    ("variables-not-an-object", {"query": "{ domains { name } }", "variables": "x"}),
    ("batch-of-requests", [{"query": "{ domains { name } }"}]),
    # Validation and limit errors carry no extensions.code.
    ("fragment-cycle", {"query": "query { ...A } fragment A on Query { ...A }"}),
    ("too-many-aliases", {"query": "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"}),
    ("unknown-field", {"query": "{ nope }"}),
    # A spread of an unknown fragment answers the bare KeyError text "'Nope'", no code.
    ("unknown-fragment", {"query": "query { ...Nope }"}),
    # Variables the caller got wrong are answered "Internal error." (without a code before
    # the identity merge, INTERNAL_ERROR after it): an Int outside 32 bits, a missing or
    # null non-null variable, an enum variable of no value of the enum.
    ("int-variable-out-of-range",
     {"query": "query($n: Int!) { products(first: $n) { totalCount } }",
      "variables": {"n": 2147483648}}),
    ("missing-variable",
     {"query": "query($q: String!) { sql(query: $q) { rowCount } }", "variables": {}}),
    ("null-non-null-variable",
     {"query": "query($v: ID!) { product(id: $v) { name } }", "variables": {"v": None}}),
    ("enum-variable-of-no-value",
     {"query": "query($e: SqlEngine) { explainSql(query: \"SELECT 1\", engine: $e) }",
      "variables": {"e": "NOT_A_VALUE"}}),
]  # fmt: skip
