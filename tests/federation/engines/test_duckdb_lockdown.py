"""What a query cannot do on the DuckDB engine, even one that slipped past the planner."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from gateway.errors import SqlEngineError
from gateway.federation.catalog import StaticCatalog
from gateway.federation.engines import DuckDBEngine

# The statement check refuses a file named as a table; past it, with external access off,
# DuckDB refuses a file outright or does not even look it up.
REFUSED = "not a table of the mesh|Permission Error|does not exist"
EXTENSIONS_HOME = Path.home() / ".duckdb" / "extensions"


def extension_files() -> set[Path]:
    return set(EXTENSIONS_HOME.rglob("*")) if EXTENSIONS_HOME.exists() else set()


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("SELECT 1; SELECT 2", "exactly one statement"),
        ("INSTALL httpfs", "SELECT only"),
        ("LOAD httpfs", "SELECT only"),
        ("SET enable_external_access = true", "SELECT only"),
        ("COPY (SELECT 1) TO '/tmp/meshgate-copy.csv'", "SELECT only"),
        ("ATTACH '/tmp/meshgate.db' AS other", "SELECT only"),
        ("CREATE TABLE t AS SELECT 1", "SELECT only"),
        ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
        ("SELECT * FROM glob('/etc/*')", "glob"),
        ("SELECT * FROM duckdb_settings()", "duckdb_settings"),
        ("SELECT * FROM postgres_query('_pg_0', 'SELECT 1')", "postgres_query"),
        ("WITH x AS (SELECT * FROM read_text('/etc/hosts')) SELECT * FROM x", "read_text"),
    ],
)
async def test_only_one_select_without_table_functions_runs(
    engine: DuckDBEngine, sql: str, why: str
) -> None:
    with pytest.raises(SqlEngineError, match=why) as caught:
        await engine.run_sql(sql, timeout_s=5, max_rows=1)
    assert caught.value.code == "SQL_ENGINE_ERROR"


async def test_files_outside_the_registered_ones_cannot_be_read(
    engine: DuckDBEngine, demo_root: Path, tmp_path: Path
) -> None:
    # A file name as a table: refused by the statement check, and by DuckDB's own lock.
    with pytest.raises(SqlEngineError, match=REFUSED):
        await engine.run_sql("SELECT * FROM '/etc/passwd'", timeout_s=5, max_rows=1)
    stray = tmp_path / "stray.parquet"
    duckdb.execute(f"COPY (SELECT 1 AS x) TO '{stray}'")
    with pytest.raises(SqlEngineError, match=REFUSED):
        await engine.run_sql(f"SELECT * FROM '{stray}'", timeout_s=5, max_rows=1)
    # Even beside the registered files, only the registered files themselves open, and
    # that holds for DuckDB's own readers too (the statement check bypassed).
    folder = demo_root / "demo" / "data" / "us-precipitation"
    sibling = folder / "stray.parquet"
    duckdb.execute(f"COPY (SELECT 1 AS x) TO '{sibling}'")
    cursor = engine._con.cursor()
    try:
        with pytest.raises(SqlEngineError, match=REFUSED):
            await engine.run_sql(f"SELECT * FROM '{sibling}'", timeout_s=5, max_rows=1)
        with pytest.raises(duckdb.PermissionException):
            cursor.execute(f"SELECT * FROM read_parquet('{sibling}')")
        registered = folder.resolve() / "us_stations.parquet"
        assert cursor.execute(f"SELECT count(*) FROM read_parquet('{registered}')").fetchall()
    finally:
        sibling.unlink()
        cursor.close()


def test_a_statement_past_every_check_still_cannot_open_files_or_change_settings(
    engine: DuckDBEngine,
) -> None:
    # The engine's database itself, as a plan that slipped past the planner would reach it.
    cursor = engine._con.cursor()
    with pytest.raises(duckdb.PermissionException):
        cursor.execute("SELECT * FROM read_csv('/etc/passwd')")
    with pytest.raises(duckdb.PermissionException):
        cursor.execute("COPY (SELECT 1) TO '/tmp/meshgate-escape.csv'")
    for setting in (
        "enable_external_access = true",
        "memory_limit = '20GB'",
        "autoinstall_known_extensions = true",
        "allowed_directories = ['/']",
    ):
        with pytest.raises(duckdb.InvalidInputException, match="locked"):
            cursor.execute(f"SET {setting}")
    with pytest.raises(duckdb.Error):
        cursor.execute("INSTALL httpfs")
    with pytest.raises(duckdb.Error):
        cursor.execute("LOAD httpfs")


async def test_no_extension_is_ever_fetched(file_catalog: StaticCatalog, demo_root: Path) -> None:
    before = extension_files()
    engine = DuckDBEngine(file_catalog.tables(), root=demo_root)
    try:
        assert engine.extensions and set(engine.extensions.values()) == {"STATICALLY_LINKED"}
        wanted = (
            "autoinstall_known_extensions",
            "autoload_known_extensions",
            "allow_community_extensions",
            "enable_external_access",
            "lock_configuration",
        )
        rows = engine._con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE list_contains(?, name)", [list(wanted)]
        ).fetchall()
        settings = dict(rows)
        assert settings == {
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            "allow_community_extensions": "false",
            "enable_external_access": "false",
            "lock_configuration": "true",
        }
        # Queries that need extensions DuckDB would otherwise download fail, and fetch nothing.
        for sql in (
            "SELECT * FROM 'https://example.com/data.parquet'",
            "SELECT ST_Point(1, 2)",
            "SELECT excel_text(1, '#')",
        ):
            with pytest.raises(SqlEngineError):
                await engine.run_sql(sql, timeout_s=5, max_rows=1)
    finally:
        await engine.close()
    assert extension_files() == before
