"""The notify store's SQL, shared by SQLite and PostgreSQL: each builder takes the
driver's placeholder (``?`` or ``%s``), and rows are read back by one function per table
given how the backend returns times (text or ``datetime``).

Both backends claim due deliveries in ONE ``UPDATE ... RETURNING`` statement, so the claim
is atomic: SQLite runs one writer at a time; on PostgreSQL the inner ``SELECT`` locks the
rows it picks (``FOR UPDATE SKIP LOCKED``), so a concurrent claim takes other rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from gateway.notify.records import PENDING, Delivery, WebhookSubscription

SUBSCRIPTION_COLUMNS = (
    "id", "subscriber", "owner", "product_id", "url", "secret", "kinds", "created_at",
)  # fmt: skip
DELIVERY_COLUMNS = (
    "id", "subscription_id", "event", "reason", "path", "attempts", "status", "last_status",
    "last_error", "next_attempt_at", "delivered_at", "created_at",
)  # fmt: skip
_SUBS = ", ".join(SUBSCRIPTION_COLUMNS)
_DELS = ", ".join(DELIVERY_COLUMNS)

Time = Callable[[Any], datetime]


def kinds_text(kinds: Sequence[str]) -> str:
    """Kinds as stored: comma-delimited on both ends, so ``LIKE '%,health,%'`` finds one.

    >>> kinds_text(["health", "contract"])
    ',health,contract,'
    """
    return "," + ",".join(kinds) + ","


def add(p: str) -> str:
    """Insert a subscription unless its subscriber has ``most`` already, in one statement.
    Parameters: the 8 columns, subscriber, most."""
    return (
        f"INSERT INTO webhook_subscriptions ({_SUBS}) "
        f"SELECT {', '.join(p for _ in SUBSCRIPTION_COLUMNS)} "
        f"WHERE (SELECT count(*) FROM webhook_subscriptions WHERE subscriber = {p}) < {p}"
    )


def get(p: str) -> str:
    return f"SELECT {_SUBS} FROM webhook_subscriptions WHERE id = {p}"


def of_subscriber(p: str, *, everyone: bool) -> str:
    where = "" if everyone else f"WHERE subscriber = {p} "
    return (
        f"SELECT {_SUBS} FROM webhook_subscriptions {where}ORDER BY created_at DESC, id LIMIT {p}"
    )


def remove(p: str) -> str:
    return f"DELETE FROM webhook_subscriptions WHERE id = {p}"


def wanting(p: str, count: int) -> str:
    """Parameters: ``count`` product ids, then the kind pattern."""
    ids = ", ".join(p for _ in range(count))
    return (
        f"SELECT {_SUBS} FROM webhook_subscriptions "
        f"WHERE product_id IN ({ids}) AND kinds LIKE {p} ORDER BY created_at, id"
    )


def enqueue(p: str) -> str:
    """Parameters: subscription, event, reason, path, status, due, created."""
    return (
        "INSERT INTO webhook_deliveries (subscription_id, event, reason, path, attempts, "
        f"status, next_attempt_at, created_at) VALUES ({p}, {p}, {p}, {p}, 0, {p}, {p}, {p})"
    )


def claim(p: str, *, skip_locked: bool) -> str:
    """Parameters: lease, now, now, limit."""
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    return (
        f"UPDATE webhook_deliveries SET claimed_until = {p} WHERE id IN ("
        f"SELECT id FROM webhook_deliveries WHERE status = '{PENDING}' "
        f"AND next_attempt_at <= {p} AND (claimed_until IS NULL OR claimed_until < {p}) "
        f"ORDER BY next_attempt_at, id LIMIT {p}{lock}) RETURNING {_DELS}"
    )


def finish(p: str) -> str:
    """Parameters: status, attempts, last status, last error, due, delivered, id, lease."""
    return (
        f"UPDATE webhook_deliveries SET status = {p}, attempts = {p}, last_status = {p}, "
        f"last_error = {p}, next_attempt_at = {p}, delivered_at = {p}, claimed_until = NULL "
        f"WHERE id = {p} AND claimed_until = {p}"
    )


def deliveries(p: str, *, after: bool) -> str:
    """Parameters: subscription[, at, at, id], limit."""
    where = f"subscription_id = {p}"
    if after:
        where += f" AND (created_at < {p} OR (created_at = {p} AND id < {p}))"
    return (
        f"SELECT {_DELS} FROM webhook_deliveries WHERE {where} "
        f"ORDER BY created_at DESC, id DESC LIMIT {p}"
    )


def purge(p: str) -> str:
    return f"DELETE FROM webhook_deliveries WHERE status <> '{PENDING}' AND created_at < {p}"


def baseline(p: str) -> str:
    """The ledger's first state of (kind, product): inserted only if there is none.
    Arguments: kind, product, state, observed."""
    return (
        f"INSERT INTO notify_states (kind, product_id, state, observed_at) "
        f"VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (kind, product_id) DO NOTHING"
    )


def change(p: str) -> str:
    """The ledger's step: a row changes only when its state differs and was observed no
    later (one process wins; a stale observation loses). Arguments: state, observed, kind,
    product, state, observed."""
    return (
        f"UPDATE notify_states SET state = {p}, observed_at = {p} "
        f"WHERE kind = {p} AND product_id = {p} AND state <> {p} "
        f"AND (observed_at IS NULL OR observed_at <= {p})"
    )


def seen_again(p: str) -> str:
    """The same state observed later: the row keeps the newest observation, so a stale
    one between the two is refused. Arguments: observed, kind, product, state, observed."""
    return (
        f"UPDATE notify_states SET observed_at = {p} "
        f"WHERE kind = {p} AND product_id = {p} AND state = {p} "
        f"AND (observed_at IS NULL OR observed_at < {p})"
    )


def subscription_of(row: Sequence[Any], time: Time) -> WebhookSubscription:
    return WebhookSubscription(
        id=str(row[0]), subscriber=str(row[1]), owner=bool(row[2]), product_id=str(row[3]),
        url=str(row[4]), secret=str(row[5]), kinds=tuple(k for k in str(row[6]).split(",") if k),
        created_at=time(row[7]),
    )  # fmt: skip


def delivery_of(row: Sequence[Any], time: Time) -> Delivery:
    event = row[2] if isinstance(row[2], dict) else json.loads(row[2])
    path = row[4] if isinstance(row[4], list) else json.loads(row[4])
    return Delivery(
        id=int(row[0]), subscription_id=str(row[1]), event=event, reason=str(row[3]),
        path=tuple(str(n) for n in path), attempts=int(row[5]), status=str(row[6]),
        last_status=None if row[7] is None else int(row[7]), last_error=row[8],
        next_attempt_at=time(row[9]), delivered_at=None if row[10] is None else time(row[10]),
        created_at=time(row[11]),
    )  # fmt: skip
