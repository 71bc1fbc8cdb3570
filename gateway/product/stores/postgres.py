"""Tables in a PostgreSQL schema, read with psycopg over one read-only connection."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

import psycopg
from sqlglot import exp

from gateway.product.errors import RuleTimedOut, StoreUnavailable
from gateway.product.stores.base import Rows, SqlStore
from gateway.product.tables import Table

CONNECT_TIMEOUT_SECONDS = 3
STATEMENT_TIMEOUT_MS = 30_000


class PostgresStore(SqlStore):
    """A ``postgres`` server: ``host``, ``port``, ``database``, ``schema``.

    Credentials are not part of a contract: they come from ``PGUSER`` / ``PGPASSWORD`` in
    the product's environment (``product.env`` or the process).
    """

    dialect = "postgres"

    def __init__(self, name: str, server: Mapping[str, Any], env: Mapping[str, str]) -> None:
        super().__init__(name)
        self.schema = str(server.get("schema") or "public")
        self._params: dict[str, Any] = {
            "host": server.get("host"),
            "port": server.get("port"),
            "dbname": server.get("database"),
            "user": env.get("PGUSER"),
            "password": env.get("PGPASSWORD"),
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "autocommit": True,
            # The kit only reads: make the session refuse writes, and bound every query.
            "options": (
                f"-c default_transaction_read_only=on -c statement_timeout={STATEMENT_TIMEOUT_MS}"
            ),
        }
        self._conn: psycopg.Connection[Any] | None = None

    def relation(self, table: Table) -> exp.Expr:
        """``"schema"."table"``."""
        return exp.table_(table.physical_name, db=self.schema, quoted=True)

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            params_ = {k: v for k, v in self._params.items() if v is not None}
            self._conn = psycopg.connect(**params_)
        return self._conn

    def time_zone(self) -> tzinfo | None:
        """The session's ``TimeZone``: what a ``timestamp`` (without zone) value means."""
        conn = self._conn
        return conn.info.timezone if conn is not None and not conn.closed else None

    def rule_scalar(self, query: exp.Query, timeout: float) -> Any:
        """Run a SQL rule in a read-only transaction with ``SET LOCAL statement_timeout``."""
        millis = max(1, int(timeout * 1000))
        with self._lock:
            try:
                conn = self._connection()
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(b"SET TRANSACTION READ ONLY")
                    cur.execute(f"SET LOCAL statement_timeout = {millis}".encode())
                    cur.execute(query.sql(dialect=self.dialect).encode())
                    row = cur.fetchone() if cur.description else None
                    return row[0] if row else None
            except psycopg.errors.QueryCanceled:
                raise RuleTimedOut(f"the SQL rule ran past {timeout:g} s") from None
            except psycopg.OperationalError as exc:
                self._drop()
                raise StoreUnavailable(f"{self.name}: {_first_line(exc)}") from None
            except psycopg.Error as exc:
                raise StoreUnavailable(f"{self.name}: {_first_line(exc)}") from None

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[list[str], Rows]:
        """Run ``sql``; a broken connection is dropped and opened again next time."""
        with self._lock:
            try:
                with self._connection().cursor() as cur:
                    cur.execute(sql.encode(), params or None)
                    names = [d.name for d in cur.description or []]
                    return names, list(cur.fetchall()) if cur.description else []
            except psycopg.OperationalError as exc:
                self._drop()
                raise StoreUnavailable(f"{self.name}: {_first_line(exc)}") from None
            except psycopg.Error as exc:
                raise StoreUnavailable(f"{self.name}: {_first_line(exc)}") from None

    def size_of(self, table: Table) -> int | None:
        """``pg_total_relation_size`` of the table (data, indexes and TOAST)."""
        qualified = self.relation(table).sql(dialect=self.dialect)
        _, rows = self.execute("SELECT pg_total_relation_size(%s::regclass)", (qualified,))
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
