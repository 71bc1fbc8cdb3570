"""The audit log's SQL, written once for SQLite and PostgreSQL (they differ only in the
parameter marker), and how a row becomes an :class:`AuditEvent` again.

Events are listed newest first by ``(at, id)``; a page continues strictly after the last
event it showed (keyset paging), so events written meanwhile never shift a page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gateway.audit.model import Actor, AuditEvent, AuditProduct, AuditTable

COLUMNS = (
    "id", "at", "request_id", "actor_subject", "actor_kind", "actor_roles", "address",
    "action", "outcome", "row_count", "detail", "products", "tables",
)  # fmt: skip


def insert_values(event: AuditEvent) -> tuple[Any, ...]:
    """The values of ``COLUMNS[2:]`` for ``event`` (``id`` and ``at`` are the backend's)."""
    return (
        event.request_id, event.actor.subject, event.actor.kind,
        json.dumps(list(event.actor.roles)), event.address, event.action, event.outcome,
        event.rows, event.detail,
        json.dumps([{"id": p.id, "key": p.key} for p in event.products]),
        json.dumps([
            {"product_id": t.product_id, "table": t.table, "columns": list(t.columns),
             "masked": list(t.masked)}
            for t in event.tables
        ]),
    )  # fmt: skip


def for_product(p: str, *, since: bool, after: bool) -> str:
    """One page of a product's events. Parameters: product id[, since][, at, at, id], limit."""
    # ``audit_products`` is keyed (product_id, at, event_id): the page is an index range.
    where = [f"x.product_id = {p}"]
    if since:
        where.append(f"x.at >= {p}")
    if after:
        where.append(f"(x.at < {p} OR (x.at = {p} AND x.event_id < {p}))")
    return (
        f"SELECT {', '.join('e.' + c for c in COLUMNS)} FROM audit_products x "
        f"JOIN audit_events e ON e.id = x.event_id WHERE {' AND '.join(where)} "
        f"ORDER BY x.at DESC, x.event_id DESC LIMIT {p}"
    )


def purge(p: str) -> str:
    """Delete events older than a time (their product rows go with them). Parameter: time."""
    return f"DELETE FROM audit_events WHERE at < {p}"


def page_args(product_id: str, since: Any, after: tuple[Any, int] | None, limit: int) -> list[Any]:
    """The parameters of :func:`for_product`, in order."""
    args: list[Any] = [product_id]
    if since is not None:
        args.append(since)
    if after is not None:
        args.extend((after[0], after[0], after[1]))
    args.append(limit)
    return args


def event_of_row(row: Sequence[Any], at: datetime) -> AuditEvent:
    """An event from a row of ``COLUMNS`` (``at`` already parsed by the backend)."""
    roles, products, tables = (_json(row[i]) for i in (5, 11, 12))
    return AuditEvent(
        id=int(row[0]),
        at=at,
        request_id=row[2],
        actor=Actor(row[3], row[4], tuple(roles)),
        address=row[6],
        action=row[7],
        outcome=row[8],
        rows=int(row[9]),
        detail=row[10],
        products=tuple(AuditProduct(p["id"], p.get("key")) for p in products),
        tables=tuple(
            AuditTable(t["product_id"], t["table"], tuple(t["columns"]), tuple(t["masked"]))
            for t in tables
        ),
    )


def _json(value: Any) -> Any:
    # SQLite hands JSON back as text; psycopg decodes jsonb itself.
    return json.loads(value) if isinstance(value, str) else value
