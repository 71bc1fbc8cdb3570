"""Tables in a MySQL / MariaDB database, read with PyMySQL over a bounded pool of
read-only connections (:mod:`productkit.stores.pool`; ``MYSQL_POOL_SIZE``, default 4).

``DATETIME`` columns have no zone: what they mean is the session's ``time_zone`` (the
server's unless ``MYSQL_TIME_ZONE`` sets it), set and read on every connection the pool
opens; see :mod:`gateway.values.moments`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta, timezone, tzinfo
from typing import Any

import pymysql
from sqlglot import exp

from gateway.values.moments import zone_named
from productkit.errors import RuleTimedOut, StoreUnavailable
from productkit.stores.base import Answer, Rows, SqlStore
from productkit.stores.pool import BoundedPool, pool_size
from productkit.tables import Table

CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 30
# A call waits this long for a free connection: the longest a statement may hold one.
POOL_WAIT_SECONDS = READ_TIMEOUT_SECONDS + CONNECT_TIMEOUT_SECONDS
# Server errors of a statement stopped by its time limit: MariaDB, MySQL.
_TIMED_OUT = frozenset({1969, 3024})


@dataclass(frozen=True)
class Session:
    """One pooled connection and its session's time zone."""

    conn: pymysql.connections.Connection[Any]
    zone: tzinfo


class MySQLStore(SqlStore):
    """A ``mysql`` server: ``host``, ``port``, ``database``.

    Credentials come from ``MYSQL_USER`` / ``MYSQL_PASSWORD`` in the product's environment;
    ``MYSQL_TIME_ZONE`` (``+02:00``, or a name the server knows) sets the session's zone
    when the applications writing ``DATETIME`` values use another zone than the server.
    """

    dialect = "mysql"

    def __init__(self, name: str, server: Mapping[str, Any], env: Mapping[str, str]) -> None:
        super().__init__(name)
        self.database = str(server.get("database") or "")
        self.concurrency = pool_size(env.get("MYSQL_POOL_SIZE"), "MYSQL_POOL_SIZE")
        self._params: dict[str, Any] = {
            "host": server.get("host"),
            "port": int(server.get("port") or 3306),
            "database": self.database,
            "user": env.get("MYSQL_USER"),
            "password": env.get("MYSQL_PASSWORD") or "",
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "read_timeout": READ_TIMEOUT_SECONDS,
            "autocommit": True,
            # The kit only reads.
            "init_command": "SET SESSION TRANSACTION READ ONLY",
        }
        self._session_zone = env.get("MYSQL_TIME_ZONE") or None
        self._pool: BoundedPool[Session] = BoundedPool(
            name,
            self.concurrency,
            connect=self._connect,
            healthy=_healthy,
            disconnect=_disconnect,
            wait=POOL_WAIT_SECONDS,
        )

    def relation(self, table: Table) -> exp.Expr:
        """```database`.`table```."""
        return exp.table_(table.physical_name, db=self.database, quoted=True)

    def _connect(self) -> Session:
        """A new connection, its session zone set (``MYSQL_TIME_ZONE``) and read."""
        try:
            conn = pymysql.connect(**self._params)
        except pymysql.MySQLError as exc:
            raise self._unavailable(exc) from None
        try:
            return Session(conn, _session_zone(conn, self._session_zone))
        except BaseException as exc:
            with contextlib.suppress(pymysql.MySQLError, OSError):
                conn.close()
            if isinstance(exc, pymysql.MySQLError):
                raise self._unavailable(exc) from None
            raise

    def rule_scalar(self, query: exp.Query, timeout: float) -> Any:
        """Run a SQL rule in a read-only transaction under a statement time limit.

        MariaDB: ``SET STATEMENT max_statement_time=<s> FOR SELECT ...``; MySQL: the
        session's ``max_execution_time`` (milliseconds, for SELECTs), reset afterwards.
        """
        sql = query.sql(dialect=self.dialect)
        with self._pool.connection() as session:
            conn = session.conn
            try:
                mariadb = "mariadb" in conn.get_server_info().lower()
                limit = f"max_execution_time = {max(1, int(timeout * 1000))}"
                if mariadb:
                    sql = f"SET STATEMENT max_statement_time={max(timeout, 0.001):.3f} FOR {sql}"
                with conn.cursor() as cur:
                    cur.execute("START TRANSACTION READ ONLY")
                    try:
                        if not mariadb:
                            cur.execute(f"SET SESSION {limit}")
                        cur.execute(sql)
                        rows = list(cur.fetchall())
                    finally:
                        cur.execute("ROLLBACK")
                        if not mariadb:
                            cur.execute("SET SESSION max_execution_time = 0")
                    return rows[0][0] if rows else None
            except pymysql.MySQLError as exc:
                if exc.args and exc.args[0] in _TIMED_OUT:
                    raise RuleTimedOut(f"the SQL rule ran past {timeout:g} s") from None
                raise self._unavailable(exc) from None

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[list[str], Rows]:
        """Run ``sql`` on a pooled connection."""
        found = self.answer(sql, params)
        return found.names, found.rows

    def answer(self, sql: str, params: tuple[Any, ...] = ()) -> Answer:
        """Run ``sql``; the zone is the connection's session ``time_zone``. A connection
        broken under it is found out and replaced when next handed out."""
        with self._pool.connection() as session:
            try:
                with session.conn.cursor() as cur:
                    cur.execute(sql, params or None)
                    names = [d[0] for d in cur.description or []]
                    return Answer(names, list(cur.fetchall()), session.zone)
            except pymysql.MySQLError as exc:
                raise self._unavailable(exc) from None

    def size_of(self, table: Table) -> int | None:
        """Data and index length from ``information_schema`` (an estimate for InnoDB)."""
        _, rows = self.execute(
            "SELECT data_length + index_length FROM information_schema.tables "
            "WHERE table_schema = %s AND table_name = %s",
            (self.database, table.physical_name),
        )
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def close(self) -> None:
        """Close the pool: idle connections now, those in use when their call ends."""
        self._pool.close()

    def _unavailable(self, exc: pymysql.MySQLError) -> StoreUnavailable:
        return StoreUnavailable(f"{self.name}: {exc.args[-1] if exc.args else exc}")


def _healthy(session: Session) -> bool:
    """Whether the connection still reaches its server (a ping, never reconnecting: a new
    connection would lose the session's zone and read-only mode)."""
    if not session.conn.open:
        return False
    try:
        session.conn.ping(reconnect=False)
    except (pymysql.MySQLError, OSError):
        return False
    return True


def _disconnect(session: Session) -> None:
    with contextlib.suppress(pymysql.MySQLError, OSError):
        session.conn.close()


def _session_zone(conn: pymysql.connections.Connection[Any], wanted: str | None) -> tzinfo:
    """The zone of ``conn``'s session (set to ``wanted`` first when given).

    A named or offset zone is taken as named; ``SYSTEM`` (the server's operating-system
    zone, whose name MariaDB only gives as an abbreviation) is its offset now.
    """
    with conn.cursor() as cur:
        if wanted:
            cur.execute("SET time_zone = %s", (wanted,))
        cur.execute("SELECT @@session.time_zone, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW())")
        name, seconds = cur.fetchone() or (None, 0)
    named = None if str(name).upper() == "SYSTEM" else zone_named(str(name))
    return named or timezone(timedelta(minutes=round(int(seconds or 0) / 60)))
