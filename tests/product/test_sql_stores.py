"""The kit on PostgreSQL and MariaDB servers (started by scripts/services.sh)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pymysql
import pytest
from starlette.applications import Starlette

from productkit.errors import StoreUnavailable
from tests.product.builders import CONTRACT, ROWS, TABLE, build_product, variant
from tests.product.test_discover import closed_port_url

pytestmark = pytest.mark.services

COLUMNS = ("unique_id", "name", "data_value", "borough", "observed_at")


@dataclass(frozen=True)
class Database:
    """A database holding the test table, and how a contract names it."""

    server: dict[str, Any]
    env: dict[str, str]
    aware: bool  # whether its timestamps carry a time zone (served with a Z)

    def shown(self, row: dict[str, Any]) -> str:
        """How consume shows the row's observed_at."""
        return row["observed_at"].strftime("%Y-%m-%dT%H:%M:%S") + ("Z" if self.aware else "")


def _insert(cur: Any, placeholder: str) -> None:
    values = ", ".join([placeholder] * len(COLUMNS))
    cur.executemany(
        f"INSERT INTO air_quality ({', '.join(COLUMNS)}) VALUES ({values})",
        [tuple(row[c] for c in COLUMNS) for row in ROWS],
    )


@contextlib.contextmanager
def postgres_database(dsn: str) -> Iterator[Database]:
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE air_quality (unique_id bigint PRIMARY KEY, name text, "
            "data_value double precision, borough text, observed_at timestamptz)"
        )
        _insert(cur, "%s")
    url = urlsplit(dsn)
    yield Database(
        {"server": "pg", "type": "postgres", "host": "${PG_HOST}", "port": "${PG_PORT}",
         "database": url.path.lstrip("/"), "schema": "public"},
        {"PG_HOST": str(url.hostname), "PG_PORT": str(url.port), "PGUSER": str(url.username)},
        aware=True,
    )  # fmt: skip


@contextlib.contextmanager
def mariadb_database(dsn: str) -> Iterator[Database]:
    url = urlsplit(dsn)
    name = f"meshgate_p_{secrets.token_hex(6)}"
    conn = pymysql.connect(
        host=url.hostname, port=url.port or 3306, user=url.username or "",
        password=url.password or "", autocommit=True,
    )  # fmt: skip
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {name}")
            cur.execute(
                f"CREATE TABLE {name}.air_quality (unique_id BIGINT PRIMARY KEY, name TEXT, "
                "data_value DOUBLE, borough TEXT, observed_at DATETIME)"
            )
            cur.execute(f"USE {name}")
            naive = [{**r, "observed_at": r["observed_at"].replace(tzinfo=None)} for r in ROWS]
            cur.executemany(
                f"INSERT INTO air_quality ({', '.join(COLUMNS)}) VALUES (%s, %s, %s, %s, %s)",
                [tuple(row[c] for c in COLUMNS) for row in naive],
            )
        yield Database(
            {"server": "maria", "type": "mysql", "host": str(url.hostname), "port": url.port,
             "database": name},
            {"MYSQL_USER": url.username or "", "MYSQL_PASSWORD": url.password or ""},
            aware=False,
        )  # fmt: skip
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.close()


@pytest.fixture(params=["postgres", "mariadb"])
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    if request.param == "postgres":
        with postgres_database(request.getfixturevalue("fresh_postgres_dsn")) as db:
            yield db
    else:
        with mariadb_database(request.getfixturevalue("mariadb_dsn")) as db:
            yield db


def _folder(tmp_path: Path, database: Database) -> Path:
    contract = variant(CONTRACT)
    contract["servers"].append(database.server)
    # A SQL rule, rewritten to the database's own table name and dialect when run.
    contract["schema"][0]["quality"].append(
        {"type": "sql", "query": "SELECT COUNT(*) FROM air_quality WHERE data_value > 500",
         "mustBe": 0}
    )  # fmt: skip
    return build_product(tmp_path, contract=contract)


def test_the_product_is_served_from_a_database(
    tmp_path: Path,
    database: Database,
    make_app: Callable[..., Starlette],
    serve_app: Callable[[Any], str],
) -> None:
    folder = _folder(tmp_path, database)
    app = make_app(folder, server=database.server["server"], env=database.env)
    base = serve_app(app)
    health = httpx.get(f"{base}/observe/health").json()
    assert health["status"] == "UP"
    newest = max(r["observed_at"] for r in ROWS).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert health["tables"] == [{"name": TABLE, "rowCount": len(ROWS), "lastUpdated": newest}]
    results = httpx.get(f"{base}/observe/results").json()["results"]
    failed = [(r["element"], r["property"], r["value"]) for r in results if r["passed"] is False]
    assert sorted(failed) == [(TABLE, "sql", 1), (f"{TABLE}.data_value", "rangeCheck", 1)]
    nulls = next(r for r in results if r["element"] == f"{TABLE}.borough")
    assert nulls["value"] == 20.0
    page = httpx.get(f"{base}/consume/{TABLE}", params={"limit": 2, "offset": 3}).json()
    assert page["rows"] == [
        [100004, "Nitrogen dioxide (NO2)", 19.4, "Brooklyn", database.shown(ROWS[3])],
        [100005, "Ozone (O3)", 0.0, "Manhattan", database.shown(ROWS[4])],
    ]
    metrics = httpx.get(f"{base}/observe/metrics").json()
    assert metrics["tables"][0]["bytes"] > 0


def test_the_store_refuses_writes(
    tmp_path: Path, database: Database, make_app: Callable[..., Starlette]
) -> None:
    app = make_app(_folder(tmp_path, database), server=database.server["server"], env=database.env)
    store = app.state.product.stores.stores[0]
    try:
        with pytest.raises(StoreUnavailable, match="(?i)read.only"):
            store.execute("INSERT INTO air_quality (unique_id) VALUES (1)")
    finally:
        store.close()


def test_a_database_that_does_not_answer_is_down(
    tmp_path: Path,
    database: Database,
    make_app: Callable[..., Starlette],
    serve_app: Callable[[Any], str],
) -> None:
    port = urlsplit(closed_port_url()).port
    env = {**database.env, "PG_PORT": str(port)}
    server = {**database.server, "port": "${PG_PORT}"}
    contract = variant(CONTRACT)
    contract["servers"].append(server)
    folder = build_product(tmp_path, contract=contract)
    base = serve_app(make_app(folder, server=server["server"], env=env))
    health = httpx.get(f"{base}/observe/health").json()
    assert health["status"] == "DOWN"
    assert health["checks"][0]["status"] == "DOWN" and health["checks"][0]["message"]
    assert health["tables"][0]["rowCount"] is None
    results = httpx.get(f"{base}/observe/results").json()["results"]
    assert all(r["value"] is None for r in results)
    assert all(r.get("error") for r in results)
    assert httpx.get(f"{base}/consume/{TABLE}").status_code == 503
    assert httpx.get(f"{base}/certify/status").json()["status"] == "NOT COMPLIANT"
