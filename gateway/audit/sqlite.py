"""The SQLite audit store: the registry's file, tables of its own.

Calls run in a worker thread behind one lock (:class:`~gateway.stores.SqliteCalls`).
Times are fixed-width UTC text. Foreign keys are on (``open_sqlite`` turns them on for
every connection), so purging an event takes its product rows with it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from os import PathLike

from gateway.audit import statements
from gateway.audit.model import AuditEvent
from gateway.audit.store import AuditError, AuditPage, check_page, decode_cursor, page_of
from gateway.migrations import open_sqlite
from gateway.stores import SqliteCalls, stamp

_P = "?"

# Each entry moves the schema one version up; never edit a released entry, add one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """
            CREATE TABLE audit_events (
                id INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                request_id TEXT,
                actor_subject TEXT NOT NULL,
                actor_kind TEXT NOT NULL,
                actor_roles TEXT NOT NULL,
                address TEXT,
                action TEXT NOT NULL,
                outcome TEXT NOT NULL,
                row_count INTEGER NOT NULL,
                detail TEXT NOT NULL,
                products TEXT NOT NULL,
                tables TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_events_at ON audit_events (at)",
            """
            CREATE TABLE audit_products (
                product_id TEXT NOT NULL,
                at TEXT NOT NULL,
                event_id INTEGER NOT NULL REFERENCES audit_events (id) ON DELETE CASCADE,
                PRIMARY KEY (product_id, at, event_id)
            )
            """,
            "CREATE INDEX audit_products_event ON audit_products (event_id)",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

_INSERT = (
    f"INSERT INTO audit_events ({', '.join(statements.COLUMNS[1:])}) "
    f"VALUES ({', '.join('?' for _ in statements.COLUMNS[1:])})"
)
_INSERT_PRODUCT = "INSERT INTO audit_products (product_id, at, event_id) VALUES (?, ?, ?)"


class SqliteAuditStore:
    """An :class:`~gateway.audit.store.AuditStore` in one SQLite file."""

    def __init__(self, calls: SqliteCalls) -> None:
        """Wrap an open, migrated connection; use :meth:`open` instead."""
        self._calls = calls

    @classmethod
    async def open(cls, path: str | PathLike[str]) -> SqliteAuditStore:
        """Open the database file at ``path`` (or ``":memory:"``), creating it if needed."""
        return await asyncio.to_thread(cls._open, str(path))

    @classmethod
    def _open(cls, path: str) -> SqliteAuditStore:
        # busy_timeout: the registry and usage write to the same file from their own
        # connections. synchronous=FULL: an audit event survives a power cut too.
        db = open_sqlite(
            path, MIGRATIONS, table="audit_schema", what="audit store", error=AuditError,
            pragmas=("journal_mode=WAL", "synchronous=FULL", "busy_timeout=5000"),
        )  # fmt: skip
        return cls(SqliteCalls(db, what="audit store", path=path, error=AuditError))

    async def record(self, event: AuditEvent) -> int:
        """See :meth:`AuditStore.record`."""
        return await self._calls.run(self._calls.transaction, self._insert, event)

    def _insert(self, event: AuditEvent) -> int:
        at = stamp(event.at)
        cursor = self._calls.db.execute(_INSERT, (at, *statements.insert_values(event)))
        event_id = int(cursor.lastrowid or 0)
        self._calls.db.executemany(
            _INSERT_PRODUCT, [(pid, at, event_id) for pid in event.product_ids]
        )
        return event_id

    async def for_product(
        self,
        product_id: str,
        *,
        since: datetime | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> AuditPage:
        """See :meth:`AuditStore.for_product`."""
        check_page(first)
        cut = decode_cursor(after) if after is not None else None
        sql = statements.for_product(_P, since=since is not None, after=cut is not None)
        args = statements.page_args(
            product_id,
            None if since is None else stamp(since),
            None if cut is None else (stamp(cut[0]), cut[1]),
            first + 1,
        )
        rows = await self._calls.run(lambda: self._calls.db.execute(sql, args).fetchall())
        events = [statements.event_of_row(r, datetime.fromisoformat(r[1])) for r in rows]
        return page_of(events, first)

    async def purge(self, older_than: datetime) -> int:
        """See :meth:`AuditStore.purge`."""
        sql = statements.purge(_P)
        cursor = await self._calls.run(self._calls.db.execute, sql, (stamp(older_than),))
        return int(cursor.rowcount)

    async def close(self) -> None:
        """See :meth:`AuditStore.close`."""
        await self._calls.close()
