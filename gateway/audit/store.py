"""The storage interface of the audit log, its paging cursor, and :func:`open_audit_store`.

The audit log lives in the registry's database (``MESHGATE_REGISTRY_URL``), in tables of
its own with their own schema version. From the gateway's point of view it is append-only:
the interface writes events and deletes only those older than the retention.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway import time_cursors
from gateway.audit.model import AuditEvent
from gateway.errors import GatewayError
from gateway.registry.store import parse_registry_url

MAX_PAGE = 100
"""Most events one page lists."""

_PREFIX = "audit:"


class AuditError(GatewayError):
    """The audit store cannot be opened, read or written."""

    code = "AUDIT_ERROR"


@dataclass(frozen=True)
class AuditPage:
    """Events newest first; ``end_cursor`` continues after the last one."""

    events: tuple[AuditEvent, ...]
    has_next: bool
    end_cursor: str | None


class AuditStore(Protocol):
    """Where audit events are kept. Methods may raise :class:`AuditError`."""

    async def record(self, event: AuditEvent) -> int:
        """Append ``event``; its id."""
        ...

    async def for_product(
        self,
        product_id: str,
        *,
        since: datetime | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> AuditPage:
        """The events of ``product_id`` at or after ``since``, newest first, ``first`` at
        a time, continuing after cursor ``after``."""
        ...

    async def purge(self, older_than: datetime) -> int:
        """Delete the events before ``older_than``; how many went."""
        ...

    async def close(self) -> None:
        """Release the connection; the events stay."""
        ...


async def open_audit_store(url: str, *, pool_size: int = 4) -> AuditStore:
    """Open (creating its tables if needed) the audit store in the database at ``url``,
    a registry URL: ``sqlite:///path.db``, ``sqlite://:memory:`` or ``postgresql://...``;
    on PostgreSQL with a pool of at most ``pool_size`` connections."""
    location = parse_registry_url(url)
    if location.backend == "sqlite":
        from gateway.audit.sqlite import SqliteAuditStore

        return await SqliteAuditStore.open(location.target)
    from gateway.audit.postgres import PostgresAuditStore

    return await PostgresAuditStore.open(location.target, pool_size=pool_size)


def check_page(first: int) -> None:
    """Refuse a page size outside 1..:data:`MAX_PAGE`."""
    time_cursors.check_page(first, MAX_PAGE)


def encode_cursor(event: AuditEvent) -> str:
    """The cursor after ``event``: its time and id, opaque to clients."""
    return time_cursors.encode(_PREFIX, event.at, event.id)


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (time, id) a cursor stands for; a cursor not made here is a ``BadRequest``.

    >>> from gateway.audit.model import Actor
    >>> e = AuditEvent(datetime.fromisoformat("2026-01-02T03:04:05+00:00"), "sql.query",
    ...                "ok", Actor("a", "user"), id=7)
    >>> decode_cursor(encode_cursor(e))[1]
    7
    """
    return time_cursors.decode(_PREFIX, cursor)


def page_of(events: builtins.list[AuditEvent], first: int) -> AuditPage:
    """A page from the ``first + 1`` events a backend read (one more tells if more follow)."""
    shown = tuple(events[:first])
    return AuditPage(
        events=shown,
        has_next=len(events) > first,
        end_cursor=encode_cursor(shown[-1]) if shown else None,
    )
