"""The PostgreSQL audit store: the registry's database, tables of its own.

A bounded pool of connections, reconnecting once (:class:`~gateway.stores.PostgresCalls`).
Recording an event is one statement (one round trip): the event row and its product rows
go in together through data-modifying ``WITH`` clauses.
"""

from __future__ import annotations

import json
from datetime import datetime

from gateway.audit import statements
from gateway.audit.model import AuditEvent
from gateway.audit.store import AuditError, AuditPage, check_page, decode_cursor, page_of
from gateway.stores import PostgresCalls, utc

_P = "%s"

# Each entry moves the schema one version up; never edit a released entry, add one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """
            CREATE TABLE audit_events (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at timestamptz NOT NULL,
                request_id text,
                actor_subject text NOT NULL,
                actor_kind text NOT NULL,
                actor_roles jsonb NOT NULL,
                address text,
                action text NOT NULL,
                outcome text NOT NULL,
                row_count bigint NOT NULL,
                detail text NOT NULL,
                products jsonb NOT NULL,
                tables jsonb NOT NULL
            )
            """,
            "CREATE INDEX audit_events_at ON audit_events (at)",
            """
            CREATE TABLE audit_products (
                product_id text NOT NULL,
                at timestamptz NOT NULL,
                event_id bigint NOT NULL REFERENCES audit_events (id) ON DELETE CASCADE,
                PRIMARY KEY (product_id, at, event_id)
            )
            """,
            "CREATE INDEX audit_products_event ON audit_products (event_id)",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
# Serializes gateways migrating the same database at the same time ("audit" in ASCII).
_MIGRATION_LOCK = 0x6175646974

_JSONB = {"actor_roles", "products", "tables"}
_RECORD = f"""
WITH e AS (
    INSERT INTO audit_events ({", ".join(statements.COLUMNS[1:])})
    VALUES ({", ".join("%s::jsonb" if c in _JSONB else "%s" for c in statements.COLUMNS[1:])})
    RETURNING id, at
), x AS (
    INSERT INTO audit_products (product_id, at, event_id)
    SELECT p.value, e.at, e.id FROM e, jsonb_array_elements_text(%s::jsonb) AS p(value)
)
SELECT id FROM e
"""


class PostgresAuditStore:
    """An :class:`~gateway.audit.store.AuditStore` in a PostgreSQL database."""

    def __init__(self, calls: PostgresCalls) -> None:
        """Wrap the calls on an open, migrated database; use :meth:`open` instead."""
        self._calls = calls

    @classmethod
    async def open(cls, dsn: str, *, pool_size: int = 4) -> PostgresAuditStore:
        """Bring the audit tables at ``dsn`` up to date and pool connections to it."""
        calls = await PostgresCalls.open(
            dsn, MIGRATIONS, table="audit_schema", what="audit store", error=AuditError,
            lock_key=_MIGRATION_LOCK, pool_size=pool_size,
        )  # fmt: skip
        return cls(calls)

    async def record(self, event: AuditEvent) -> int:
        """See :meth:`AuditStore.record`."""
        args = (
            utc(event.at),
            *statements.insert_values(event),
            json.dumps(list(event.product_ids)),
        )
        [row] = await self._calls.select(_RECORD, list(args))
        return int(row[0])

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
            product_id, None if since is None else utc(since), cut, first + 1
        )
        rows = await self._calls.select(sql, args)
        return page_of([statements.event_of_row(r, r[1]) for r in rows], first)

    async def purge(self, older_than: datetime) -> int:
        """See :meth:`AuditStore.purge`."""
        return await self._calls.execute(statements.purge(_P), (utc(older_than),))

    async def close(self) -> None:
        """See :meth:`AuditStore.close`."""
        await self._calls.close()
