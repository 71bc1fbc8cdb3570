"""Tables in a PostgreSQL schema, read with psycopg over a bounded pool of read-only
connections (``psycopg_pool``), so one slow query does not hold up every other call.

``PG_POOL_SIZE`` in the product's environment bounds the pool (default 4). A connection
is checked before it is handed out, and one the server dropped is replaced; a call that
finds no connection while none is in use checks that the server answers at all, so a
server that is down fails the call with its reason at once instead of after the wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout
from sqlglot import exp

from productkit.errors import RuleTimedOut, StoreUnavailable
from productkit.stores.base import Answer, Rows, SqlStore
from productkit.stores.pool import pool_size
from productkit.tables import Table

CONNECT_TIMEOUT_SECONDS = 3
STATEMENT_TIMEOUT_MS = 30_000
# A call waits this long for a free connection: the longest a statement may hold one.
POOL_WAIT_SECONDS = STATEMENT_TIMEOUT_MS / 1000 + CONNECT_TIMEOUT_SECONDS
# A call that got no connection this soon while none is in use checks the server answers.
PROBE_AFTER_SECONDS = 0.25
# The pool tries to reopen a lost connection this long before it waits for a new call.
RECONNECT_SECONDS = 5.0
APPLICATION_NAME = "meshgate-product"


class PostgresStore(SqlStore):
    """A ``postgres`` server: ``host``, ``port``, ``database``, ``schema``.

    Credentials are not part of a contract: they come from ``PGUSER`` / ``PGPASSWORD`` in
    the product's environment (``product.env`` or the process).
    """

    dialect = "postgres"

    def __init__(self, name: str, server: Mapping[str, Any], env: Mapping[str, str]) -> None:
        super().__init__(name)
        self.schema = str(server.get("schema") or "public")
        self.concurrency = pool_size(env.get("PG_POOL_SIZE"), "PG_POOL_SIZE")
        params: dict[str, Any] = {
            "host": server.get("host"),
            "port": server.get("port"),
            "dbname": server.get("database"),
            "user": env.get("PGUSER"),
            "password": env.get("PGPASSWORD"),
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "application_name": APPLICATION_NAME,
            "autocommit": True,
            # The kit only reads: make the session refuse writes, and bound every query.
            "options": (
                f"-c default_transaction_read_only=on -c statement_timeout={STATEMENT_TIMEOUT_MS}"
            ),
        }
        self._params = {k: v for k, v in params.items() if v is not None}
        self._in_use = 0
        self._counting = threading.Lock()
        # Connections open on demand (min_size 0): a store whose server is down starts.
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            kwargs=self._params,
            min_size=0,
            max_size=self.concurrency,
            open=False,
            timeout=POOL_WAIT_SECONDS,
            reconnect_timeout=RECONNECT_SECONDS,
            num_workers=1,
            name=name,
        )
        self._pool.open()

    def relation(self, table: Table) -> exp.Expr:
        """``"schema"."table"``."""
        return exp.table_(table.physical_name, db=self.schema, quoted=True)

    def rule_scalar(self, query: exp.Query, timeout: float) -> Any:
        """Run a SQL rule in a read-only transaction with ``SET LOCAL statement_timeout``."""
        millis = max(1, int(timeout * 1000))
        conn = self._take()
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(b"SET TRANSACTION READ ONLY")
                cur.execute(f"SET LOCAL statement_timeout = {millis}".encode())
                cur.execute(query.sql(dialect=self.dialect).encode())
                row = cur.fetchone() if cur.description else None
                return row[0] if row else None
        except psycopg.errors.QueryCanceled:
            raise RuleTimedOut(f"the SQL rule ran past {timeout:g} s") from None
        except psycopg.Error as exc:
            raise StoreUnavailable(f"{self.name}: {_first_line(exc)}") from None
        finally:
            self._give_back(conn)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[list[str], Rows]:
        """Run ``sql`` on a pooled connection."""
        found = self.answer(sql, params)
        return found.names, found.rows

    def answer(self, sql: str, params: tuple[Any, ...] = ()) -> Answer:
        """Run ``sql``; the zone is the session's ``TimeZone`` (what a ``timestamp``
        without zone means). A connection broken under it is replaced by the pool."""
        conn = self._take()
        try:
            with conn.cursor() as cur:
                cur.execute(sql.encode(), params or None)
                names = [d.name for d in cur.description or []]
                rows = list(cur.fetchall()) if cur.description else []
            return Answer(names, rows, conn.info.timezone)
        except psycopg.Error as exc:
            raise StoreUnavailable(f"{self.name}: {_first_line(exc)}") from None
        finally:
            self._give_back(conn)

    def size_of(self, table: Table) -> int | None:
        """``pg_total_relation_size`` of the table (data, indexes and TOAST)."""
        qualified = self.relation(table).sql(dialect=self.dialect)
        _, rows = self.execute("SELECT pg_total_relation_size(%s::regclass)", (qualified,))
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def close(self) -> None:
        """Close the pool: idle connections now, those in use when their call ends."""
        self._pool.close()

    # -- the pool ------------------------------------------------------------------------

    def _take(self) -> psycopg.Connection[Any]:
        """A working connection; raise ``StoreUnavailable`` when the server does not
        answer, the store is closed, or every connection stays busy too long."""
        deadline = time.monotonic() + POOL_WAIT_SECONDS
        probed = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StoreUnavailable(
                    f"{self.name}: all {self.concurrency} connections stayed busy for "
                    f"{POOL_WAIT_SECONDS:g} s"
                )
            wait = remaining if probed else min(remaining, PROBE_AFTER_SECONDS)
            try:
                conn = self._pool.getconn(timeout=wait)
            except PoolClosed:
                raise StoreUnavailable(f"{self.name}: the store is closed") from None
            except PoolTimeout:
                if not probed and self._in_use == 0:
                    # Nothing is busy, yet the pool has no connection: is the server up?
                    self._probe()
                    probed = True
                continue
            if _healthy(conn):
                with self._counting:
                    self._in_use += 1
                return conn
            # Dropped by the server while idle: the pool closes it and opens another.
            self._pool.putconn(conn)

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        with self._counting:
            self._in_use -= 1
        self._pool.putconn(conn)

    def _probe(self) -> None:
        """Raise ``StoreUnavailable`` with the reason unless a connection opens."""
        try:
            psycopg.connect(**self._params).close()
        except psycopg.Error as exc:
            raise StoreUnavailable(f"{self.name}: {_first_line(exc)}") from None


def _healthy(conn: psycopg.Connection[Any]) -> bool:
    """Whether ``conn`` still reaches its server (an empty statement's round trip)."""
    if conn.closed or conn.broken:
        return False
    try:
        ConnectionPool.check_connection(conn)
    except psycopg.Error:
        return False
    return True


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
