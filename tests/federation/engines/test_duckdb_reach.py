"""On DuckDB nothing is reachable but the mesh views, and nothing is opened out of reach.

The engine judges every location again (a catalog built with a wider reach does not
widen it), expands a glob once and checks every file it matches, and lets a statement
name only the mesh views and its own CTEs: no system view, no file by name, no Python
variable, whatever the planner let through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.errors import SqlEngineError, TableUnavailable
from gateway.federation.catalog import CatalogTable, StaticCatalog, build_catalog
from gateway.federation.engines import DuckDBEngine
from gateway.federation.reach import Reach
from tests.federation.engines.conftest import make_plan, view

AIR = "air-quality.nyc-air-quality.air_quality"
PASSWD_FIRST_LINE = Path("/etc/passwd").read_text().splitlines()[0]


def hostile(path: str, **server: Any) -> CatalogTable:
    """A table over ``path`` as a catalog with no limits at all would locate it."""
    everything = Reach.of(root="/")
    source = {"type": "local", "path": path, "format": "csv", **server}
    raw = {
        "id": "c-evil",
        "version": "1.0.0",
        "servers": [source],
        "schema": [{"name": "t", "properties": [
            {"name": "line", "physicalName": PASSWD_FIRST_LINE}]}],
    }  # fmt: skip
    catalog = build_catalog([("p-evil", "attack", "evil", raw)], reach=everything)
    table = catalog.get("attack.evil.t")
    assert table is not None and "duckdb" in table.locations
    return table


@pytest.fixture
def engine(module_engine: DuckDBEngine) -> DuckDBEngine:
    """The statements below only read: they share one engine over the demo files."""
    return module_engine


@pytest.fixture
def root(tmp_path: Path) -> Path:
    data = tmp_path / "root" / "data"
    data.mkdir(parents=True)
    (data / "a.csv").write_text(f"{PASSWD_FIRST_LINE}\nkept\n")
    return tmp_path / "root"


async def refused_without_reading(engine: DuckDBEngine, table: CatalogTable) -> str:
    plan = make_plan(f"SELECT * FROM {view(StaticCatalog([table]), table.logical)}", table)
    with pytest.raises(TableUnavailable) as caught:
        await engine.execute(plan, timeout_s=5, max_rows=5)
    assert caught.value.code == "TABLE_UNAVAILABLE" and caught.value.product_id == "p-evil"
    assert "/" not in caught.value.message.split(":", 1)[1]  # no path in the reason
    return caught.value.message


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "data/../../../../../../../../etc/passwd", "/*/passwd", "/e*/passwd"]
)
async def test_the_engine_refuses_a_path_out_of_its_reach(root: Path, path: str) -> None:
    table = hostile(path)
    engine = DuckDBEngine([table], root=root)
    try:
        assert engine.views == {}
        message = await refused_without_reading(engine, table)
        assert message.endswith("local server path leaves the data roots")
        # Nothing was granted: DuckDB's own allow-list is empty.
        allowed = engine._con.execute("SELECT current_setting('allowed_paths')").fetchone()
        assert allowed == ([],)
    finally:
        await engine.close()


async def test_a_glob_matching_a_symlink_out_of_the_roots_is_refused(root: Path) -> None:
    (root / "data" / "b.csv").symlink_to("/etc/passwd")
    engine = DuckDBEngine([hostile(f"{root}/data/*.csv")], root=root)
    try:
        assert engine.views == {}
        await refused_without_reading(engine, hostile(f"{root}/data/*.csv"))
    finally:
        await engine.close()


async def test_a_glob_reads_the_files_it_matched_when_the_view_was_made(root: Path) -> None:
    table = hostile("data/*.csv")
    engine = DuckDBEngine([table], root=root)
    try:
        # A symlink planted afterwards, beside the matched file, is never opened.
        (root / "data" / "b.csv").symlink_to("/etc/passwd")
        plan = make_plan(f"SELECT line FROM {view(StaticCatalog([table]), table.logical)}", table)
        result = await engine.execute(plan, timeout_s=5, max_rows=10)
        assert result.rows == [("kept",)]
        allowed = engine._con.execute("SELECT current_setting('allowed_paths')").fetchone()
        assert allowed == ([str((root / "data" / "a.csv").resolve())],)
        assert engine._con.execute("SELECT current_setting('allowed_directories')").fetchone() == (
            [],
        )
    finally:
        await engine.close()


async def test_the_engine_never_attaches_a_host_off_the_list(root: Path) -> None:
    pg = {"type": "postgres", "host": "127.0.0.1", "port": 5432, "database": "postgres",
          "schema": "public"}  # fmt: skip
    raw = {"id": "c", "version": "1.0.0", "servers": [pg],
           "schema": [{"name": "t", "properties": [{"name": "x"}]}]}  # fmt: skip
    wide = Reach.of(root=root, db_hosts=["127.0.0.1:5432"])
    table = build_catalog([("p-evil", "attack", "evil", raw)], reach=wide).tables()[0]
    engine = DuckDBEngine([table], root=root)  # the default hosts: demo ports only
    try:
        assert engine._attached == {} and engine.views == {}
        message = await refused_without_reading(engine, table)
        assert message.endswith("postgres server host is not one the operator allows")
    finally:
        await engine.close()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM duckdb_views",
        "SELECT sql FROM duckdb_views()",
        "SELECT * FROM system.main.duckdb_views",
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM information_schema.columns",
        "SELECT * FROM pg_catalog.pg_class",
        "SELECT * FROM pg_class",
        "SELECT * FROM sqlite_master",
        "SELECT * FROM duckdb_tables",
        "DESCRIBE SELECT 1",
        "SHOW TABLES",
        "SUMMARIZE SELECT 1",
        # A CTE's own body does not see it: this reads the system view.
        "WITH duckdb_views AS (SELECT * FROM duckdb_views) SELECT * FROM duckdb_views",
        "WITH RECURSIVE duckdb_views AS (SELECT * FROM duckdb_views) SELECT * FROM duckdb_views",
        "WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a",
        "WITH x AS (SELECT 1) SELECT * FROM (WITH y AS (SELECT * FROM sqlite_master) "
        "SELECT * FROM y)",
        "SELECT 1 WHERE EXISTS (SELECT * FROM duckdb_views)",
        # Files by name, through DuckDB's replacement scans.
        "SELECT * FROM 'demo/data/nyc-air-quality/air_quality.csv'",
        'SELECT * FROM "{root}/demo/data/nyc-air-quality/air_quality.csv"',
        "SELECT * FROM '{root}/demo/data/nyc-air-quality/*.csv'",
        "WITH q AS (SELECT 1) SELECT * FROM '{root}/demo/data/nyc-air-quality/air_quality.csv'",
        # A Python variable of the engine's own frame, by name.
        "SELECT * FROM cursor",
        "SELECT * FROM sql",
        # The views by another spelling than the planner's.
        "SELECT * FROM memory.main.x",
    ],
)
async def test_a_statement_names_nothing_but_mesh_views_and_its_own_ctes(
    engine: DuckDBEngine, demo_root: Path, sql: str
) -> None:
    with pytest.raises(SqlEngineError) as caught:
        await engine.run_sql(sql.format(root=demo_root), timeout_s=5, max_rows=5)
    assert caught.value.code == "SQL_ENGINE_ERROR"
    assert str(demo_root) not in caught.value.message
    assert "CREATE VIEW" not in caught.value.message


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM {air}",
        "WITH t AS (SELECT * FROM {air}) SELECT count(*) FROM t",
        "WITH a AS (SELECT * FROM {air}), b AS (SELECT * FROM a) SELECT count(*) FROM b",
        "WITH a AS (SELECT 1 AS n) SELECT (SELECT count(*) FROM {air}) FROM a, "
        "(WITH b AS (SELECT * FROM a) SELECT * FROM b)",
        "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
        "SELECT count(*) FROM r",
        'SELECT count(*) FROM {air} WHERE "UniqueID" IN (SELECT "UniqueID" FROM {air})',
        "SELECT count(*) FROM (VALUES (1), (2)) AS v(n)",
        "SELECT count(*) FROM range(3)",
    ],
)
async def test_mesh_views_and_ctes_in_scope_still_run(
    engine: DuckDBEngine, file_catalog: StaticCatalog, sql: str
) -> None:
    result = await engine.run_sql(sql.format(air=view(file_catalog, AIR)), timeout_s=10, max_rows=5)
    assert result.rows and result.rows[0][0] > 0


async def test_queries_run_on_an_empty_search_path_without_python_replacements(
    engine: DuckDBEngine,
) -> None:
    result = await engine.run_sql(
        "SELECT current_setting('search_path'), current_database(), "
        "current_setting('python_enable_replacements')",
        timeout_s=5,
        max_rows=1,
    )
    assert result.rows == [("_nowhere.main", "_nowhere", False)]
    # And the search path holds no table at all, nor does the default database.
    tables = engine._con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name IN ('_nowhere', 'memory')"
    ).fetchone()
    views = engine._con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE NOT internal "
        "AND database_name IN ('_nowhere', 'memory')"
    ).fetchone()
    assert tables == (0,) and views == (0,)
