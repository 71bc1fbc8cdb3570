"""SQL quality rules tried as a hostile product author would (issue 6, hole 9).

Each rule is a contract's text run with the kit's credentials: functions that read
files, the environment or settings, that change the session, sleep or lock are refused
on every store; a legal but slow rule is cut at the time limit. A refused or cut rule is
a failed result with its reason, and the store keeps answering the next rule.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from contracts import parse_contract
from productkit.settings import KitSettings
from productkit.sqlrules import RuleRefused, prepare
from productkit.stores import open_stores
from productkit.stores.files import FileStore
from productkit.tables import Table, tables_of
from tests.product.builders import CONTRACT, TABLE, build_product, variant
from tests.product.test_sql_stores import Database, mariadb_database, postgres_database

# name -> (query, what the refusal says); each is refused on every store.
HOSTILE: dict[str, tuple[str, str]] = {
    "read_file": ("SELECT COUNT(*) FROM air_quality WHERE pg_read_file('/etc/passwd') <> ''",
                  "function pg_read_file is not on the SQL rule allow-list"),
    "getenv": ("SELECT COUNT(*) FROM air_quality WHERE getenv('HOME') <> ''",
               "function getenv is not on the SQL rule allow-list"),
    "load_file": ("SELECT COUNT(*) FROM air_quality WHERE LOAD_FILE('/etc/passwd') IS NULL",
                  "function LOAD_FILE is not on the SQL rule allow-list"),
    "set_config": ("SELECT COUNT(*) FROM air_quality "
                   "WHERE set_config('statement_timeout', '0', false) = ''",
                   "function set_config is not on the SQL rule allow-list"),
    "pg_sleep": ("SELECT COUNT(*) FROM air_quality WHERE pg_sleep(10) IS NULL",
                 "function pg_sleep is not on the SQL rule allow-list"),
    "sleep": ("SELECT COUNT(*) FROM air_quality WHERE SLEEP(10) = 0",
              "function SLEEP is not on the SQL rule allow-list"),
    "for_update": ("SELECT COUNT(*) FROM air_quality FOR UPDATE",
                   "may not lock rows"),
    "unlisted": ("SELECT COUNT(*) FROM air_quality WHERE md5(name) = ''",
                 "function MD5 is not on the SQL rule allow-list"),
    "session_user": ("SELECT COUNT(*) FROM air_quality WHERE CAST(user AS INT) = 1",
                     "user is a session value, not a column"),
    "current_setting": ("SELECT COUNT(*) FROM air_quality WHERE current_setting('x') = ''",
                        "function current_setting is not on the SQL rule allow-list"),
}  # fmt: skip

# Legal (one SELECT over the contract's table, allowed functions) and slow: 5 rows
# cross-joined 14 times is 6e9 rows, far past any time limit on any store.
ALIASES = [f"t{i}" for i in range(14)]
SLOW = (
    f"SELECT COUNT(*) FROM {', '.join(f'air_quality {a}' for a in ALIASES)} "
    f"WHERE {' + '.join(f'abs({a}.data_value)' for a in ALIASES)} >= 0"
)
GOOD = "SELECT COUNT(*) FROM air_quality WHERE data_value > 500"
RULE_TIMEOUT = 0.5


def _rules() -> list[dict[str, Any]]:
    hostile = [
        {"type": "sql", "name": name, "query": q, "mustBe": 0} for name, (q, _) in HOSTILE.items()
    ]
    return [
        *hostile,
        {"type": "sql", "name": "slow", "query": SLOW, "mustBeGreaterThan": 0},
        {"type": "sql", "name": "good", "query": GOOD, "mustBe": 0},
    ]


@pytest.fixture(params=["duckdb", "postgres", "mariadb"])
def store_folder(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """A product whose table carries the hostile rules, on each kind of store:
    (folder, make_app options)."""
    contract = variant(CONTRACT)
    contract["schema"][0]["quality"] = _rules()
    if request.param == "duckdb":
        yield build_product(tmp_path, contract=contract), {}
        return
    database: Callable[[str], Any] = (
        postgres_database if request.param == "postgres" else mariadb_database
    )
    fixture = "fresh_postgres_dsn" if request.param == "postgres" else "mariadb_dsn"
    with database(request.getfixturevalue(fixture)) as db:
        assert isinstance(db, Database)
        contract["servers"].append(db.server)
        yield (
            build_product(tmp_path, contract=contract),
            {"server": db.server["server"], "env": db.env},
        )


@pytest.mark.services
def test_hostile_and_slow_rules_fail_with_their_reason_on_every_store(
    store_folder: tuple[Path, dict[str, Any]],
    make_app: Callable[..., Starlette],
    serve_app: Callable[[Any], str],
) -> None:
    folder, options = store_folder
    settings = KitSettings(sql_rule_timeout_seconds=RULE_TIMEOUT)
    base = serve_app(make_app(folder, settings=settings, **options))
    started = time.monotonic()
    results = httpx.get(f"{base}/observe/results", timeout=60).json()["results"]
    took = time.monotonic() - started
    by_name = {r["property"]: r for r in results if r["element"] == TABLE}
    for name, (_, reason) in HOSTILE.items():
        got = by_name[name]
        assert (got["passed"], got["value"], got["errorCode"]) == (
            False,
            None,
            "SQL_RULE_REFUSED",
        ), got
        assert reason in got["error"], (name, got["error"])
    slow = by_name["slow"]
    assert (slow["passed"], slow["value"], slow["errorCode"]) == (False, None, "SQL_RULE_TIMEOUT")
    assert slow["error"] == f"the SQL rule ran past {RULE_TIMEOUT:g} s"
    assert took < 15, f"the slow rule was not cut: /observe/results took {took:.1f} s"
    # The store still answers the rule after the cut one, in the same round.
    assert (by_name["good"]["value"], by_name["good"]["passed"]) == (1, False)
    assert "errorCode" not in by_name["good"]
    report = httpx.get(f"{base}/certify/report", timeout=60).json()
    quality = next(p for p in report["policies"] if p["id"] == "quality-passes")
    assert quality["certified"] is False and "SQL rule refused" in quality["evidence"]


# -- the checker alone (DuckDB dialect, no server) ------------------------------------


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[tuple[dict[str, Table], FileStore]]:
    """Two contracts' tables in one DuckDB store: ``readings`` (contract a), ``secrets`` (b)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "readings.csv").write_text("station,mm\nA,1\nB,-2\n")
    (tmp_path / "data" / "secrets.csv").write_text("k,v\nx,y\n")

    def contract(cid: str, table: str, columns: list[str]) -> Any:
        return parse_contract(
            {"apiVersion": "v3.0.2", "kind": "DataContract", "id": cid, "version": "1.0.0",
             "status": "active",
             "servers": [{"server": "local", "type": "local", "path": "data/{table}.csv",
                          "format": "csv"}],
             "schema": [{"name": table, "properties": [{"name": c} for c in columns]}]},
            env={},
        )  # fmt: skip

    tables = tables_of(
        [contract("a", "readings", ["station", "mm"]), contract("b", "secrets", ["k", "v"])]
    )
    stores = open_stores(tables, "local", tmp_path, {})
    store = stores.by_table["readings"]
    assert isinstance(store, FileStore)
    yield {t.name: t for t in tables}, store
    stores.close()


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("SELECT COUNT(*) FROM readings, duckdb_settings()", "not a table of this contract"),
        ("SELECT COUNT(*) FROM readings WHERE getenv('HOME') IS NOT NULL", "getenv"),
        ("SELECT current_setting('allowed_directories')", "current_setting"),
        ("SELECT COUNT(*) FROM readings WHERE version() <> ''", "not on the SQL rule allow-list"),
        ("SELECT COUNT(*) FROM readings WHERE random() < 2", "not on the SQL rule allow-list"),
        ("SELECT COUNT(*) FROM readings WHERE $1 = 1", "Placeholder is not allowed"),
        ("SELECT COUNT(*) FROM readings WHERE CAST(user AS INT) = 1", "user is a session value"),
        ("SELECT COUNT(*) FROM readings WHERE current_role = ''", "current_role is a session"),
        ("SELECT COUNT(*) FROM readings FOR SHARE", "may not lock rows"),
        ("SELECT COUNT(*) INTO readings FROM readings", "may not write"),
        ("SELECT COUNT(*) FROM readings r, LATERAL (SELECT 1) q", "not allowed"),
        ("SELECT COUNT(*) FROM secrets", "secrets, which is not a table of this contract"),
        # A CTE of one scope does not let the same name through in another one.
        (
            "SELECT (SELECT COUNT(*) FROM duckdb_settings) + "
            "(WITH duckdb_settings AS (SELECT 1) SELECT COUNT(*) FROM duckdb_settings)",
            "duckdb_settings, which is not a table of this contract",
        ),
        (
            "WITH b AS (SELECT * FROM a), a AS (SELECT 1) SELECT COUNT(*) FROM b",
            "reads a, which is not a table",
        ),
        ("SELECT COUNT(*) FROM '/etc/passwd'", "not a table of this contract"),
    ],
)
def test_the_checker_refuses(
    duck: tuple[dict[str, Table], FileStore], query: str, reason: str
) -> None:
    tables, store = duck
    own = {"readings": tables["readings"]}
    with pytest.raises(RuleRefused, match=reason):
        prepare(query, tables["readings"], None, own, store)


@pytest.mark.parametrize(
    ("query", "value"),
    [
        ("SELECT COUNT(*) FROM readings WHERE mm < 0", 1),
        ("WITH neg AS (SELECT * FROM readings WHERE mm < 0) SELECT COUNT(*) FROM neg", 1),
        ("SELECT COUNT(*) FROM readings WHERE abs(round(mm, 1)) > 1.5 AND lower(station) = 'b'", 1),
        ("SELECT COUNT(DISTINCT station) - COALESCE(MAX(NULLIF(mm, 1)), 0) FROM readings", 4),
        (
            "SELECT COUNT(*) FROM readings WHERE CURRENT_DATE > DATE '2000-01-01' "
            "AND length(trim(station)) = 1",
            2,
        ),
        ("SELECT SUM(CASE WHEN mm > 0 THEN 1 ELSE 0 END) FROM readings", 1),
        (
            "SELECT COUNT(*) FROM (SELECT station, ROW_NUMBER() OVER (ORDER BY mm) AS n "
            "FROM readings) q WHERE n = 1",
            1,
        ),
    ],
)
def test_the_checker_accepts_ordinary_rules(
    duck: tuple[dict[str, Table], FileStore], query: str, value: int
) -> None:
    tables, store = duck
    own = {"readings": tables["readings"]}
    tree = prepare(query, tables["readings"], None, own, store)
    assert store.rule_scalar(tree, 5.0) == value


def test_a_rule_reads_only_its_own_contracts_tables(
    duck: tuple[dict[str, Table], FileStore],
) -> None:
    from productkit.results import observe
    from productkit.timefmt import utcnow

    tables, store = duck
    rule = {"type": "sql", "name": "peek", "query": "SELECT COUNT(*) FROM secrets", "mustBe": 0}
    readings = tables["readings"]
    hostile = dataclasses.replace(readings, quality=(rule,))
    results = observe(
        "p", [hostile, tables["secrets"]], {"readings": store, "secrets": store}, {}, utcnow()
    )
    peek = next(r for r in results if r["property"] == "peek")
    assert (peek["passed"], peek["errorCode"]) == (False, "SQL_RULE_REFUSED")
    assert "secrets, which is not a table of this contract" in peek["error"]


# The owner guide's allow-list, in the three dialects (DuckDB, PostgreSQL, MySQL).
GUIDE_FUNCTIONS = [
    "COUNT(x)", "SUM(x)", "AVG(x)", "MIN(x)", "MAX(x)", "STDDEV(x)", "STDDEV_SAMP(x)",
    "STDDEV_POP(x)", "VARIANCE(x)", "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x)",
    "ANY_VALUE(x)", "BOOL_AND(x > 1)", "CORR(x, y)", "ROW_NUMBER() OVER (ORDER BY x)",
    "RANK() OVER (ORDER BY x)", "LAG(x) OVER (ORDER BY x)", "COUNT(*) FILTER (WHERE x > 1)",
    "CASE WHEN x > 1 THEN 1 END", "COALESCE(x, 1)", "NULLIF(x, 1)", "GREATEST(x, y)",
    "CAST(x AS INT)", "ABS(x)", "ROUND(x, 2)", "CEIL(x)", "FLOOR(x)", "SIGN(x)", "SQRT(x)",
    "POWER(x, 2)", "LN(x)", "LOG10(x)", "EXP(x)", "CBRT(x)", "LENGTH(s)", "CHAR_LENGTH(s)",
    "LOWER(s)", "UPPER(s)", "TRIM(s)", "LTRIM(s)", "SUBSTRING(s, 1, 2)", "CONCAT(s, s)",
    "CONCAT_WS(',', s)", "REPLACE(s, 'a', 'b')", "TRANSLATE(s, 'a', 'b')", "LEFT(s, 1)",
    "RIGHT(s, 1)", "POSITION('a' IN s)", "REGEXP_REPLACE(s, 'a', 'b')", "REVERSE(s)",
    "ASCII(s)", "s LIKE 'a%'", "CURRENT_DATE", "CURRENT_TIMESTAMP", "NOW()",
    "EXTRACT(YEAR FROM d)", "DATE_TRUNC('day', d)", "YEAR(d)", "MONTH(d)", "DAY(d)",
    "HOUR(d)", "QUARTER(d)", "LAST_DAY(d)", "d - INTERVAL '1' DAY",
]  # fmt: skip


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "mysql"])
def test_the_guides_functions_are_allowed(dialect: str) -> None:
    import sqlglot

    from productkit.sqlallow import refusal

    refused = {}
    for text in GUIDE_FUNCTIONS:
        tree = sqlglot.parse_one(f"SELECT {text} FROM t", read=dialect)
        reasons = [r for node in tree.walk() if (r := refusal(node)) is not None]
        if reasons:
            refused[text] = reasons
    assert refused == {}
