"""The server profile: the same rows loaded into real PostgreSQL and MariaDB, where the
contracts' servers say, and served from there by the product gateway kit."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import httpx
import psycopg
import pytest

from demo.datagen import MARKER, Run, generate, load_mariadb, load_postgres
from demo.datagen.catalog import published_tables
from demo.datagen.loaders import mariadb_connect
from demo.datagen.stamp import data_stamp, mariadb_database, mariadb_stamp, postgres_stamp
from demo.stores import ensure_loaded
from productkit.http.app import create_product_app
from tests.demo.documents import PRODUCTS
from tests.fixtures.uvicorn import running

pytestmark = pytest.mark.services
ROOT = Path(__file__).resolve().parents[2]


def file_rows(path: Path) -> int:
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    with duckdb.connect(":memory:") as db:
        found = db.execute(f"SELECT count(*) FROM {reader}('{path}')").fetchone()
    assert found is not None
    return int(found[0])


@pytest.fixture
def mysql_prefix(mariadb_dsn: str) -> Iterator[str]:
    """A prefix for the products' MariaDB databases, so a test never touches the demo's."""
    prefix = f"t{secrets.token_hex(4)}_"
    yield prefix
    conn = mariadb_connect(mariadb_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW DATABASES")
            for (name,) in cur.fetchall():
                if name.startswith(prefix):
                    cur.execute(f"DROP DATABASE `{name}`")
    finally:
        conn.close()


def consume(folder: Path, root: Path, env: dict[str, str], server: str | None, table: str) -> Any:
    app = create_product_app(folder, server=server, token="t", env=env, root=root)
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        health = client.get("/observe/health").json()
        assert health["status"] == "UP", health
        return client.get(f"/consume/{table}?limit=50&offset=10").json()["rows"]


def test_postgres_load_matches_files_and_serves(
    demo_root: Path, demo_out: Path, fresh_postgres_dsn: str
) -> None:
    loaded = load_postgres(fresh_postgres_dsn, demo_out, env={})
    tables = published_tables(env={})
    assert len(loaded) == len(tables)  # every product declares a postgres server
    for table in tables:
        schema = table.servers["postgres"]["schema"]
        assert loaded[f"{schema}.{table.physical_name}"] == file_rows(table.local_file(demo_out))
    with psycopg.connect(fresh_postgres_dsn) as conn:
        keys = conn.execute(
            "SELECT count(*) FROM information_schema.table_constraints "
            "WHERE constraint_type = 'PRIMARY KEY' AND table_schema <> 'pg_catalog'"
        ).fetchone()
        assert keys == (len(tables),)
        total = conn.execute(
            "SELECT round(sum(precipitation_in)::numeric, 2) "
            "FROM precipitation_us_precipitation.us_daily_precipitation"
        ).fetchone()
        kinds = dict(conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'precipitation_us_precipitation' "
            "AND table_name = 'us_daily_precipitation'"
        ).fetchall())  # fmt: skip
    with duckdb.connect(":memory:") as db:
        expected = db.execute(
            f"SELECT round(sum(precipitation_in), 2) FROM "
            f"'{demo_out}/us-precipitation/us_daily_precipitation.parquet'"
        ).fetchone()
    assert total is not None and expected is not None and float(total[0]) == expected[0]
    assert kinds["observation_date"] == "date"
    assert kinds["ingested_at"] == "timestamp with time zone"
    # Loading again replaces the tables: same rows, no error.
    assert load_postgres(fresh_postgres_dsn, demo_out, env={}) == loaded
    # The kit serves the same rows from PostgreSQL as from the files.
    database = urlsplit(fresh_postgres_dsn).path.lstrip("/")
    env = {"MESHGATE_DEMO_PG_DATABASE": database, "PGUSER": "postgres"}
    for name, table in (("us-precipitation", "us_daily_precipitation"),
                        ("nyc-air-quality", "air_quality")):  # fmt: skip
        folder = PRODUCTS / name
        assert consume(folder, demo_root, env, "postgres", table) == consume(
            folder, demo_root, {}, None, table
        )


def test_mariadb_load_matches_files_and_serves(
    demo_root: Path, demo_out: Path, mariadb_dsn: str, mysql_prefix: str
) -> None:
    env = {"MESHGATE_DEMO_MYSQL_PREFIX": mysql_prefix}
    loaded = load_mariadb(mariadb_dsn, demo_out, env=env)
    tables = [t for t in published_tables(env=env) if "mysql" in t.servers]
    assert {t.product.slug for t in tables} >= {
        "us-precipitation", "global-precipitation", "metropolitan-temperatures",
        "disclosure-reporting",
    }  # fmt: skip
    assert len(loaded) == len(tables)
    for table in tables:
        database = table.servers["mysql"]["database"]
        assert database.startswith(mysql_prefix)
        assert loaded[f"{database}.{table.physical_name}"] == file_rows(table.local_file(demo_out))
    assert load_mariadb(mariadb_dsn, demo_out, env=env) == loaded
    url = urlsplit(mariadb_dsn)
    served = {**env, "MYSQL_USER": url.username or "", "MYSQL_PASSWORD": url.password or ""}
    for name, table in (("metropolitan-temperatures", "metropolitan_daily_temperatures"),
                        ("disclosure-reporting", "company_flood_disclosures"),
                        ("us-precipitation", "us_daily_precipitation")):  # fmt: skip
        folder = PRODUCTS / name
        from_db = consume(folder, demo_root, served, "mysql", table)
        from_files = consume(folder, demo_root, {}, None, table)
        assert _plain(from_db) == _plain(from_files), name


def _plain(rows: list[list[Any]]) -> list[list[Any]]:
    """Rows as MariaDB can hold them: BOOLEAN is TINYINT(1), and DATETIME has no time zone
    (the loader stores UTC), so true/false compare as 1/0 and times without their Z."""
    return [[_plain_value(v) for v in row] for row in rows]


def _plain_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and len(value) > 19 and value[10] == "T" and value.endswith("Z"):
        return value[:-1]
    return value


def test_command_line_loads_both(
    tmp_path: Path, fresh_postgres_dsn: str, mariadb_dsn: str, mysql_prefix: str
) -> None:
    out = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "generate.py"), "--scale", "0.05", "--out", str(out),
         "--load-postgres", fresh_postgres_dsn, "--load-mariadb", mariadb_dsn],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "MESHGATE_DEMO_MYSQL_PREFIX": mysql_prefix},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "postgres flood_flood_areas.flood_prone_areas:" in done.stdout
    metro = f"mariadb {mysql_prefix}temperature_metropolitan_temperatures"
    assert metro in done.stdout
    conn = mariadb_connect(mariadb_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                f"SELECT count(*) FROM `{mysql_prefix}temperature_metropolitan_temperatures`"
                ".metropolitan_daily_temperatures"
            )
            assert cur.fetchone() == (7 * 18,)  # seven metropolitan areas, 18 days
    finally:
        conn.close()


def test_a_database_error_is_reported_not_raised(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "generate.py"), "--scale", "0.02", "--quiet",
         "--out", str(tmp_path), "--load-postgres", "postgresql://nobody@127.0.0.1:9/none"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("generate.py: loading failed:")
    assert "Traceback" not in done.stderr


def test_the_stores_say_which_data_they_hold_so_a_load_from_elsewhere_is_seen(
    demo_out: Path, fresh_postgres_dsn: str, mariadb_dsn: str, mysql_prefix: str, tmp_path: Path
) -> None:
    """Several checkouts may share the servers (``scripts/services.sh`` reuses one that
    answers), and data generated another day has the same row counts with other dates.
    A checkout used to record its last load in a file of its own: another checkout's
    load went unseen, and DuckDB (over the files) and Trino (over the stores) answered
    from different data. The stores now say what they hold."""
    env = {"MESHGATE_DEMO_MYSQL_PREFIX": mysql_prefix}
    ours = json.loads((demo_out / MARKER).read_text())
    other = tmp_path / "other" / "demo" / "data"
    day_before = date.fromisoformat(ours["endDate"]) - timedelta(days=1)
    generate(Run(out=other, seed=42, end_date=day_before))
    assert json.loads((other / MARKER).read_text())["rows"] == ours["rows"]  # counts alike

    def held() -> tuple[str | None, str | None]:
        conn = mariadb_connect(mariadb_dsn)
        try:
            with conn.cursor() as cur:
                return postgres_stamp(fresh_postgres_dsn), mariadb_stamp(cur, mariadb_database(env))
        finally:
            conn.close()

    def last_days() -> tuple[Any, Any]:
        table = "precipitation_us_precipitation.us_daily_precipitation"
        with psycopg.connect(fresh_postgres_dsn) as pg:
            row = pg.execute(f"SELECT max(observation_date) FROM {table}").fetchone()
        conn = mariadb_connect(mariadb_dsn)
        try:
            with conn.cursor() as cur:
                cur.execute(
                    f"SELECT max(observation_date) FROM `{mysql_prefix}{table.replace('.', '`.`')}`"
                )
                my = cur.fetchone()
        finally:
            conn.close()
        assert row is not None and my is not None
        return row[0], my[0]

    ensure_loaded(mariadb_dsn, fresh_postgres_dsn, data=demo_out, env=env)
    assert held() == (data_stamp(demo_out), data_stamp(demo_out))
    # Another checkout loads its data into the same servers.
    load_postgres(fresh_postgres_dsn, other, env=env)
    load_mariadb(mariadb_dsn, other, env=env)
    assert held() == (data_stamp(other), data_stamp(other))
    assert last_days() == (day_before, day_before)
    # This checkout asks again: the stores hold other data, so they are loaded again.
    ensure_loaded(mariadb_dsn, fresh_postgres_dsn, data=demo_out, env=env)
    assert held() == (data_stamp(demo_out), data_stamp(demo_out))
    ours_last = date.fromisoformat(ours["endDate"])
    assert last_days() == (ours_last, ours_last)


def test_a_load_that_stops_halfway_leaves_no_stamp(
    demo_out: Path, fresh_postgres_dsn: str, tmp_path: Path
) -> None:
    """The stamp is emptied before the first table is dropped and written after the last
    is loaded: a load that fails between is never taken for a complete one."""
    load_postgres(fresh_postgres_dsn, demo_out, env={})
    assert postgres_stamp(fresh_postgres_dsn) == data_stamp(demo_out)
    broken = tmp_path / "broken"
    shutil.copytree(demo_out, broken)
    last = published_tables(env={})[-1]
    last.local_file(broken).unlink()  # the last table's file is gone
    with pytest.raises(duckdb.IOException):
        load_postgres(fresh_postgres_dsn, broken, env={})
    assert postgres_stamp(fresh_postgres_dsn) is None
