"""Tables in a MySQL / MariaDB database, read with PyMySQL over one read-only connection.

``DATETIME`` columns have no zone: what they mean is the session's ``time_zone`` (the
server's unless ``MYSQL_TIME_ZONE`` sets it), read once per connection; see
:mod:`gateway.values.moments`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta, timezone, tzinfo
from typing import Any

import pymysql
from sqlglot import exp

from gateway.product.errors import RuleTimedOut, StoreUnavailable
from gateway.product.stores.base import Rows, SqlStore
from gateway.product.tables import Table
from gateway.values.moments import zone_named

CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 30
# Server errors of a statement stopped by its time limit: MariaDB, MySQL.
_TIMED_OUT = frozenset({1969, 3024})


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
        self._conn: pymysql.connections.Connection[Any] | None = None
        self._zone: tzinfo | None = None

    def relation(self, table: Table) -> exp.Expr:
        """```database`.`table```."""
        return exp.table_(table.physical_name, db=self.database, quoted=True)

    def _connection(self) -> pymysql.connections.Connection[Any]:
        if self._conn is None or not self._conn.open:
            conn = pymysql.connect(**self._params)
            try:
                self._zone = _session_zone(conn, self._session_zone)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def time_zone(self) -> tzinfo | None:
        """The session's ``time_zone``, read when the connection opened."""
        return self._zone

    def rule_scalar(self, query: exp.Query, timeout: float) -> Any:
        """Run a SQL rule in a read-only transaction under a statement time limit.

        MariaDB: ``SET STATEMENT max_statement_time=<s> FOR SELECT ...``; MySQL: the
        session's ``max_execution_time`` (milliseconds, for SELECTs), reset afterwards.
        """
        sql = query.sql(dialect=self.dialect)
        with self._lock:
            try:
                conn = self._connection()
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
                if isinstance(exc, pymysql.err.OperationalError):
                    self._drop()
                raise StoreUnavailable(
                    f"{self.name}: {exc.args[-1] if exc.args else exc}"
                ) from None

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[list[str], Rows]:
        """Run ``sql``; a broken connection is dropped and opened again next time."""
        with self._lock:
            try:
                with self._connection().cursor() as cur:
                    cur.execute(sql, params or None)
                    names = [d[0] for d in cur.description or []]
                    return names, list(cur.fetchall())
            except pymysql.err.OperationalError as exc:
                self._drop()
                raise StoreUnavailable(
                    f"{self.name}: {exc.args[-1] if exc.args else exc}"
                ) from None
            except pymysql.MySQLError as exc:
                raise StoreUnavailable(
                    f"{self.name}: {exc.args[-1] if exc.args else exc}"
                ) from None

    def size_of(self, table: Table) -> int | None:
        """Data and index length from ``information_schema`` (an estimate for InnoDB)."""
        _, rows = self.execute(
            "SELECT data_length + index_length FROM information_schema.tables "
            "WHERE table_schema = %s AND table_name = %s",
            (self.database, table.physical_name),
        )
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except pymysql.MySQLError:
                pass
            finally:
                self._conn = None


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
