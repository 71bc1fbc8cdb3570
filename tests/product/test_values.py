"""A freshness column without a zone means the zone of the database session it is read
in (gateway/values/moments.py): a MariaDB ``DATETIME`` and a PostgreSQL ``timestamp``
written as local wall-clock time by a server whose zone is not UTC are not hours off.
Also: the kit's pages carry exact decimals and strict JSON (docs/values.md)."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pymysql
import pytest
from psycopg import sql
from starlette.applications import Starlette

from tests.product.builders import CONTRACT, ROWS, TABLE, build_product, variant

pytestmark = pytest.mark.services

COLUMNS = ("unique_id", "name", "data_value", "borough", "observed_at")
# India: +05:30 all year, so the expected instants hold whatever the date.
KOLKATA = timezone(timedelta(hours=5, minutes=30))
NEWEST = max(r["observed_at"] for r in ROWS)


def wall_clock(moment: datetime) -> datetime:
    """``moment`` as a +05:30 server writes it into a zoneless column (``NOW()``)."""
    return moment.astimezone(KOLKATA).replace(tzinfo=None)


def local_rows() -> list[tuple[Any, ...]]:
    rows = [{**r, "observed_at": wall_clock(r["observed_at"])} for r in ROWS]
    return [tuple(row[c] for c in COLUMNS) for row in rows]


@contextlib.contextmanager
def mariadb_schema(dsn: str) -> Iterator[tuple[str, Any]]:
    url = urlsplit(dsn)
    name = f"meshgate_tz_{secrets.token_hex(6)}"
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
            cur.executemany(
                f"INSERT INTO {name}.air_quality ({', '.join(COLUMNS)}) "
                "VALUES (%s, %s, %s, %s, %s)",
                local_rows(),
            )
        yield name, url
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.close()


def served(
    tmp_path: Path,
    server: dict[str, Any],
    env: dict[str, str],
    make_app: Callable[..., Starlette],
    serve_app: Callable[[Any], str],
) -> str:
    contract = variant(CONTRACT)
    contract["servers"].append(server)
    folder = build_product(tmp_path, contract=contract)
    return serve_app(make_app(folder, server=server["server"], env=env))


def last_updated(base: str) -> str:
    health = httpx.get(f"{base}/observe/health", timeout=30).json()
    assert health["status"] == "UP", health
    (table,) = health["tables"]
    assert table["name"] == TABLE
    found: str = table["lastUpdated"]
    return found


def test_a_mariadb_datetime_is_read_in_the_session_zone(
    tmp_path: Path,
    mariadb_dsn: str,
    make_app: Callable[..., Starlette],
    serve_app: Callable[[Any], str],
) -> None:
    with mariadb_schema(mariadb_dsn) as (name, url):
        server = {"server": "maria", "type": "mysql", "host": str(url.hostname),
                  "port": url.port, "database": name}  # fmt: skip
        env = {"MYSQL_USER": url.username or "", "MYSQL_PASSWORD": url.password or "",
               "MYSQL_TIME_ZONE": "+05:30"}  # fmt: skip
        base = served(tmp_path, server, env, make_app, serve_app)
        # The instant the newest row was written, not its +05:30 wall clock read as UTC.
        assert last_updated(base) == NEWEST.strftime("%Y-%m-%dT%H:%M:%SZ")
        newest = datetime.fromisoformat(last_updated(base))
        assert newest == NEWEST.astimezone(UTC)


def test_a_mariadb_session_zone_the_server_does_not_know_is_a_down_store(
    tmp_path: Path,
    mariadb_dsn: str,
    make_app: Callable[..., Starlette],
    serve_app: Callable[[Any], str],
) -> None:
    with mariadb_schema(mariadb_dsn) as (name, url):
        server = {"server": "maria", "type": "mysql", "host": str(url.hostname),
                  "port": url.port, "database": name}  # fmt: skip
        env = {"MYSQL_USER": url.username or "", "MYSQL_PASSWORD": url.password or "",
               "MYSQL_TIME_ZONE": "Nowhere/Atlantis"}  # fmt: skip
        base = served(tmp_path, server, env, make_app, serve_app)
        health = httpx.get(f"{base}/observe/health", timeout=30).json()
        assert health["status"] == "DOWN"
        assert "time zone" in health["checks"][0]["message"].lower()


def test_a_postgres_timestamp_is_read_in_the_database_zone(
    tmp_path: Path,
    fresh_postgres_dsn: str,
    make_app: Callable[..., Starlette],
    serve_app: Callable[[Any], str],
) -> None:
    url = urlsplit(fresh_postgres_dsn)
    database = url.path.lstrip("/")
    with psycopg.connect(fresh_postgres_dsn, autocommit=True) as conn:
        # The database's own zone: every session on it (the kit's too) starts in it.
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET timezone TO 'Asia/Kolkata'").format(
                sql.Identifier(database)
            )
        )
        conn.execute(
            "CREATE TABLE air_quality (unique_id bigint PRIMARY KEY, name text, "
            "data_value double precision, borough text, observed_at timestamp)"
        )
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO air_quality ({', '.join(COLUMNS)}) VALUES (%s, %s, %s, %s, %s)",
                local_rows(),
            )
    server = {"server": "pg", "type": "postgres", "host": str(url.hostname), "port": url.port,
              "database": database, "schema": "public"}  # fmt: skip
    base = served(tmp_path, server, {"PGUSER": str(url.username)}, make_app, serve_app)
    assert last_updated(base) == NEWEST.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_page_has_exact_decimals_and_is_strict_json(
    tmp_path: Path,
    fresh_postgres_dsn: str,
    make_app: Callable[..., Starlette],
    serve_app: Callable[[Any], str],
) -> None:
    url = urlsplit(fresh_postgres_dsn)
    values = ["12345678901234567.89", "NaN", "0.10", "-Infinity", "0.30"]
    with psycopg.connect(fresh_postgres_dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE air_quality (unique_id bigint PRIMARY KEY, name text, "
            "data_value numeric, borough text, observed_at timestamptz)"
        )
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO air_quality ({', '.join(COLUMNS)}) "
                "VALUES (%s, %s, %s::numeric, %s, %s)",
                [(r["unique_id"], r["name"], v, r["borough"], r["observed_at"])
                 for r, v in zip(ROWS, values, strict=True)],
            )  # fmt: skip
    server = {"server": "pg", "type": "postgres", "host": str(url.hostname), "port": url.port,
              "database": url.path.lstrip("/"), "schema": "public"}  # fmt: skip
    base = served(tmp_path, server, {"PGUSER": str(url.username)}, make_app, serve_app)
    answer = httpx.get(f"{base}/consume/{TABLE}", params={"limit": 5}, timeout=30)
    assert answer.status_code == 200, answer.text

    def refuse(word: str) -> Any:
        raise ValueError(f"not JSON: {word}")

    page = json.loads(answer.text, parse_constant=refuse)
    assert [row[2] for row in page["rows"]] == values


def test_a_rule_that_measures_nan_answers_strict_json(
    tmp_path: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> None:
    contract = variant(CONTRACT)
    contract["schema"][0]["quality"].append(
        {"type": "sql", "query": "SELECT SUM(data_value) FROM air_quality", "mustBe": 0}
    )
    rows = [{**ROWS[0], "data_value": float("nan")}, *ROWS[1:]]
    base = serve_app(make_app(build_product(tmp_path, rows=rows, contract=contract)))
    answer = httpx.get(f"{base}/observe/results", timeout=30)
    assert answer.status_code == 200, answer.text

    def refuse(word: str) -> Any:
        raise ValueError(f"not JSON: {word}")

    results = json.loads(answer.text, parse_constant=refuse)["results"]
    (measured,) = [r for r in results if r["property"] == "sql"]
    assert (measured["value"], measured["passed"]) == ("NaN", False)
