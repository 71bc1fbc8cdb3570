"""The kit's PostgreSQL and MariaDB stores run calls on bounded pools of connections.

One connection behind a lock made a slow statement of one request hold up every other
request to the product gateway. Each test drives a real server (scripts/services.sh):
slow statements (``pg_sleep`` / ``SLEEP``) side by side, a connection killed from the
server's side, and the connections the server counts before and after ``close()``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pymysql
import pytest
from starlette.applications import Starlette

from contracts.folder import load_product_folder
from productkit.errors import ProductConfigError, StoreUnavailable
from productkit.stores import MySQLStore, PostgresStore, SqlStore, factory, open_stores
from productkit.tables import Table, tables_of
from tests.product.builders import CONTRACT, ROWS, TABLE, build_product, variant
from tests.product.test_discover import closed_port_url

pytestmark = pytest.mark.services

SLEEP = 1.0  # seconds each slow statement takes
COLUMNS = ("unique_id", "name", "data_value", "borough", "observed_at")


@dataclass
class Server:
    """A database the store reads, and what the test asks its server as an admin."""

    open_store: Callable[[dict[str, str]], SqlStore]  # with these variables
    sleep: Callable[[float], str]  # a SELECT that takes that long
    session_id: str  # a SELECT answering the id of the session it runs in
    kill: Callable[[int], None]  # end that session from the server's side
    count: Callable[[], int]  # sessions open on the store's database
    running: Callable[[int], bool]  # whether that session is running a statement


@contextlib.contextmanager
def postgres_server(admin_dsn: str, dsn: str) -> Iterator[Server]:
    url = urlsplit(dsn)
    database = url.path.lstrip("/")
    with psycopg.connect(admin_dsn, autocommit=True) as admin:

        def open_store(env: dict[str, str]) -> SqlStore:
            place = {"host": str(url.hostname), "port": env.get("PORT", str(url.port)),
                     "database": database}  # fmt: skip
            return PostgresStore("pg", place, {"PGUSER": str(url.username), **env})

        def kill(pid: int) -> None:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

        def count() -> int:
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
            ).fetchone()
            return int(row[0]) if row else -1

        def running(pid: int) -> bool:
            row = admin.execute(
                "SELECT state FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone()
            return row is not None and row[0] == "active"

        yield Server(
            open_store, lambda seconds: f"SELECT pg_sleep({seconds})",
            "SELECT pg_backend_pid()", kill, count, running,
        )  # fmt: skip


@contextlib.contextmanager
def mariadb_server(dsn: str) -> Iterator[Server]:
    url = urlsplit(dsn)
    database = f"meshgate_pool_{secrets.token_hex(6)}"
    login = {"user": url.username or "", "password": url.password or ""}
    admin = pymysql.connect(
        host=url.hostname, port=url.port or 3306, autocommit=True, **login
    )  # fmt: skip
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {database}")

    def open_store(env: dict[str, str]) -> SqlStore:
        place = {"host": str(url.hostname), "port": env.get("PORT", str(url.port)),
                 "database": database}  # fmt: skip
        names = {"MYSQL_USER": login["user"], "MYSQL_PASSWORD": login["password"]}
        return MySQLStore("maria", place, {**names, **env})

    def kill(connection_id: int) -> None:
        with admin.cursor() as cur:
            cur.execute(f"KILL {int(connection_id)}")

    def count() -> int:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = %s", (database,)
            )
            row = cur.fetchone()
        return int(row[0]) if row else -1

    def running(connection_id: int) -> bool:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT COMMAND FROM information_schema.PROCESSLIST WHERE ID = %s",
                (connection_id,),
            )
            row = cur.fetchone()
        return row is not None and row[0] == "Query"

    try:
        yield Server(
            open_store, lambda seconds: f"SELECT SLEEP({seconds})", "SELECT CONNECTION_ID()",
            kill, count, running,
        )  # fmt: skip
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {database}")
        admin.close()


@pytest.fixture(params=["postgres", "mariadb"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    if request.param == "postgres":
        admin = request.getfixturevalue("postgres_dsn")
        with postgres_server(admin, request.getfixturevalue("fresh_postgres_dsn")) as found:
            yield found
    else:
        with mariadb_server(request.getfixturevalue("mariadb_dsn")) as found:
            yield found


@contextlib.contextmanager
def opened(server: Server, env: dict[str, str]) -> Iterator[SqlStore]:
    store = server.open_store(env)
    try:
        yield store
    finally:
        store.close()


def side_by_side(calls: list[Callable[[], Any]]) -> tuple[float, list[Any]]:
    """Run ``calls`` on threads of their own, as the runtime's executor does; the time
    they took together and their answers."""
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(len(calls)) as threads:
        answers = [f.result() for f in [threads.submit(call) for call in calls]]
    return time.monotonic() - started, answers


def eventually(check: Callable[[], bool], within: float = 10.0) -> bool:
    """Whether ``check`` holds within ``within`` seconds (the server ends sessions a
    moment after the client closes them)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_slow_statements_run_side_by_side(server: Server) -> None:
    # Four at once on a pool of four: about one sleep, not four (one connection: 4 s).
    with opened(server, {}) as store:
        took, answers = side_by_side([lambda: store.execute(server.sleep(SLEEP))] * 4)
    assert len(answers) == 4
    assert SLEEP <= took < 2.5 * SLEEP, took


def test_the_pool_size_bounds_the_connections(server: Server) -> None:
    # A pool of two runs four slow statements in two rounds, on two sessions only.
    with opened(server, {"PG_POOL_SIZE": "2", "MYSQL_POOL_SIZE": "2"}) as store:
        both = f"SELECT ({server.session_id}), ({server.sleep(SLEEP)})"
        took, answers = side_by_side([lambda: store.execute(both)] * 4)
        assert 2 * SLEEP - 0.05 <= took < 3.5 * SLEEP, took
        assert len({rows[0][0] for _, rows in answers}) == 2
        assert server.count() == 2


def test_a_connection_killed_by_the_server_is_replaced(server: Server) -> None:
    with opened(server, {"PG_POOL_SIZE": "1", "MYSQL_POOL_SIZE": "1"}) as store:
        _, rows = store.execute(server.session_id)
        (killed,) = rows[0]
        server.kill(int(killed))
        assert eventually(lambda: server.count() == 0)
        # The next call answers, on a new session.
        _, rows = store.execute(server.session_id)
        assert rows[0][0] != killed
        assert store.execute("SELECT 1")[1] == [(1,)]


def test_a_call_whose_connection_is_killed_fails_and_the_next_answers(server: Server) -> None:
    with opened(server, {"PG_POOL_SIZE": "1", "MYSQL_POOL_SIZE": "1"}) as store:
        (killed,) = store.execute(server.session_id)[1][0]
        with concurrent.futures.ThreadPoolExecutor(1) as thread:
            slow = thread.submit(store.execute, server.sleep(5 * SLEEP))
            assert eventually(lambda: server.running(int(killed)))
            server.kill(int(killed))
            with pytest.raises(StoreUnavailable):
                slow.result(timeout=10)
        assert store.execute("SELECT 1")[1] == [(1,)]


def test_close_closes_every_connection(server: Server) -> None:
    store = server.open_store({"PG_POOL_SIZE": "3", "MYSQL_POOL_SIZE": "3"})
    try:
        side_by_side([lambda: store.execute(server.sleep(SLEEP / 2))] * 3)
        assert server.count() == 3
    finally:
        store.close()
    assert eventually(lambda: server.count() == 0), server.count()
    with pytest.raises(StoreUnavailable, match="closed"):
        store.execute("SELECT 1")


def test_every_pooled_mariadb_session_is_in_the_product_zone(mariadb_dsn: str) -> None:
    with (
        mariadb_server(mariadb_dsn) as server,
        opened(server, {"MYSQL_TIME_ZONE": "+05:30", "MYSQL_POOL_SIZE": "2"}) as store,
    ):
        query = f"SELECT @@session.time_zone, CONNECTION_ID(), ({server.sleep(SLEEP / 2)})"
        _, answers = side_by_side([lambda: store.answer(query)] * 2)
    assert len({a.rows[0][1] for a in answers}) == 2  # two sessions
    assert [a.rows[0][0] for a in answers] == ["+05:30", "+05:30"]
    assert [a.zone for a in answers] == [timezone(timedelta(hours=5, minutes=30))] * 2


def test_a_server_that_is_down_fails_the_call_at_once(server: Server) -> None:
    down = server.open_store({"PORT": str(urlsplit(closed_port_url()).port)})
    started = time.monotonic()
    try:
        with pytest.raises(StoreUnavailable) as refused:
            down.execute("SELECT 1")
    finally:
        down.close()
    # The connect error at once (the port refuses), not the pool's wait for a connection.
    assert time.monotonic() - started < 3.0
    assert "busy" not in refused.value.message


@pytest.mark.parametrize("value", ["0", "-1", "two", "65"])
def test_a_pool_size_out_of_range_is_refused_at_start(value: str) -> None:
    place = {"host": "127.0.0.1", "port": "1", "database": "x"}
    with pytest.raises(ProductConfigError, match="PG_POOL_SIZE"):
        PostgresStore("pg", place, {"PG_POOL_SIZE": value})
    with pytest.raises(ProductConfigError, match="MYSQL_POOL_SIZE"):
        MySQLStore("maria", place, {"MYSQL_POOL_SIZE": value})


def test_a_store_that_cannot_open_closes_the_pools_opened_before_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (table,) = tables_of(load_product_folder(build_product(tmp_path)).outputs)

    def on(name: str, server: dict[str, Any]) -> Table:
        raw = {**table.contract.raw, "servers": [{"server": "db", **server}]}
        contract = dataclasses.replace(table.contract, raw=raw, source=f"{name}.yaml")
        return dataclasses.replace(table, name=name, contract=contract)

    opened_stores: list[PostgresStore] = []

    class Kept(PostgresStore):
        """Kept referenced, so only an explicit close (not garbage collection) stops its
        pool's threads."""

        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            opened_stores.append(self)

    monkeypatch.setattr(factory, "PostgresStore", Kept)
    first = on("first", {"type": "postgres", "host": "127.0.0.1", "port": 1, "database": "a"})
    second = on("second", {"type": "oracle", "host": "127.0.0.1", "port": 2})
    with pytest.raises(ProductConfigError, match="oracle"):
        open_stores([first, second], "db", tmp_path, {})
    assert len(opened_stores) == 1
    # The first store's pool threads (named after the store) have stopped.
    assert not [t.name for t in threading.enumerate() if t.name.startswith("db:127.0.0.1:1/")]


def test_slow_pages_of_a_served_product_do_not_wait_for_each_other(
    tmp_path: Path,
    fresh_postgres_dsn: str,
    make_app: Callable[..., Starlette],
    serve_app: Callable[[Any], str],
) -> None:
    # Every query of this table takes `slow` seconds: six consumers at once on a pool of
    # eight (the product's own checks, one at a time in the background, may hold one)
    # get their pages in about one `slow` (one connection: six times that; the four
    # store threads of old: twice).
    slow = 1.5
    url = urlsplit(fresh_postgres_dsn)
    with psycopg.connect(fresh_postgres_dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(
            "CREATE TABLE air_base (unique_id bigint PRIMARY KEY, name text, "
            "data_value double precision, borough text, observed_at timestamptz)"
        )
        cur.executemany(
            "INSERT INTO air_base VALUES (%s, %s, %s, %s, %s)",
            [tuple(row[c] for c in COLUMNS) for row in ROWS],
        )
        cur.execute(
            f"CREATE VIEW air_quality AS SELECT * FROM air_base "
            f"WHERE (SELECT true FROM pg_sleep({slow}))"
        )
    contract = variant(CONTRACT)
    contract["servers"].append(
        {"server": "pg", "type": "postgres", "host": str(url.hostname), "port": url.port,
         "database": url.path.lstrip("/"), "schema": "public"}
    )  # fmt: skip
    folder = build_product(tmp_path, contract=contract)
    env = {"PGUSER": str(url.username), "PG_POOL_SIZE": "8"}
    base = serve_app(make_app(folder, server="pg", env=env))

    def page() -> int:
        answer = httpx.get(f"{base}/consume/{TABLE}", params={"limit": 2}, timeout=30)
        assert answer.status_code == 200, answer.text
        return len(answer.json()["rows"])

    took, pages = side_by_side([page] * 6)
    assert pages == [2] * 6
    assert slow <= took < 1.7 * slow, took
