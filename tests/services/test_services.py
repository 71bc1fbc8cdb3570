"""The servers of scripts/services.sh answer real queries on 127.0.0.1."""

from __future__ import annotations

import secrets
import subprocess
import time
from urllib.parse import urlsplit

import psycopg
import pymysql
import pytest
import redis

from tests.fixtures.services import (
    SERVICES_SCRIPT,
    fresh_postgres_database,
    redis_answers,
    require_service,
)

pytestmark = pytest.mark.services


def test_postgres_is_15_with_the_test_database(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        db, version = conn.execute(
            "SELECT current_database(), current_setting('server_version_num')"
        ).fetchone()
        demo = conn.execute(
            "SELECT count(*) FROM pg_database WHERE datname = 'meshgate_demo'"
        ).fetchone()
        addr = conn.execute("SELECT current_setting('listen_addresses')").fetchone()
    assert db == "meshgate_test"
    assert int(version) // 10000 == 15
    assert demo == (1,)
    assert addr == ("127.0.0.1",)


def test_fresh_postgres_dsn_is_an_empty_private_database(fresh_postgres_dsn: str) -> None:
    name = urlsplit(fresh_postgres_dsn).path.lstrip("/")
    assert name.startswith("meshgate_t_")
    with psycopg.connect(fresh_postgres_dsn) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (name,)
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        assert tables == (0,)
        conn.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
        conn.execute("INSERT INTO t VALUES (1, 'one'), (2, 'two')")
        assert conn.execute("SELECT v FROM t ORDER BY id").fetchall() == [("one",), ("two",)]


def test_fresh_postgres_database_is_dropped_afterwards(postgres_dsn: str) -> None:
    with fresh_postgres_database(postgres_dsn) as dsn:
        name = urlsplit(dsn).path.lstrip("/")
        # An open connection must not keep the database from being dropped.
        left_open = psycopg.connect(dsn)
    try:
        with psycopg.connect(postgres_dsn) as conn:
            found = conn.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,))
            assert found.fetchone() == (0,)
    finally:
        left_open.close()


def test_mariadb_creates_a_database_and_reads_it_back(mariadb_dsn: str) -> None:
    url = urlsplit(mariadb_dsn)
    db = f"meshgate_t_{secrets.token_hex(6)}"
    conn = pymysql.connect(
        host=url.hostname,
        port=url.port,
        user=url.username,
        password=url.password or "",
        autocommit=True,
    )
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT VERSION()")
            (version,) = cur.fetchone()
            assert "MariaDB" in version
            cur.execute(f"CREATE DATABASE `{db}`")
            cur.execute(f"CREATE TABLE `{db}`.t (id INT PRIMARY KEY, v VARCHAR(10))")
            cur.execute(f"INSERT INTO `{db}`.t VALUES (1, 'one'), (2, 'two')")
            cur.execute(f"SELECT v FROM `{db}`.t ORDER BY id")
            assert cur.fetchall() == (("one",), ("two",))
            cur.execute("SELECT @@bind_address, @@port")
            assert cur.fetchone() == ("127.0.0.1", 53306)
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        conn.close()


def test_redis_round_trips_and_keeps_nothing_on_disk(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    key = f"meshgate:test:{secrets.token_hex(6)}"
    try:
        assert client.set(key, "value", px=5000)
        assert client.get(key) == "value"
        assert 0 < client.pttl(key) <= 5000
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
        assert client.config_get("bind")["bind"] == "127.0.0.1"
    finally:
        client.delete(key)
        client.close()


def test_a_service_that_never_answers_fails_with_the_reason(redis_url: str) -> None:
    # Port 1 on loopback: nothing listens there, even after services.sh up.
    with pytest.raises(
        pytest.fail.Exception, match=r"Redis does not answer at redis://127\.0\.0\.1:1/0"
    ):
        require_service("Redis", "redis://127.0.0.1:1/0", redis_answers)


def test_services_script_is_fast_when_everything_is_up(
    postgres_dsn: str, mariadb_dsn: str, redis_url: str
) -> None:
    started = time.monotonic()
    done = subprocess.run(
        ["bash", str(SERVICES_SCRIPT), "up"],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"postgres  up    {postgres_dsn}",
        f"mariadb   up    {mariadb_dsn}",
        f"redis     up    {redis_url}",
    ]
    assert elapsed < 2.0


def test_services_script_status_and_usage() -> None:
    status = subprocess.run(
        ["bash", str(SERVICES_SCRIPT), "status"], capture_output=True, text=True, check=False
    )
    assert status.returncode == 0, status.stdout
    assert len(status.stdout.splitlines()) == 3
    usage = subprocess.run(
        ["bash", str(SERVICES_SCRIPT), "restart"], capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2
    assert "usage:" in usage.stderr
