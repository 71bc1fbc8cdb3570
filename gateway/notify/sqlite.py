"""The SQLite notify store: the registry's file, tables of their own."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gateway.notify import statements as sql
from gateway.notify.records import (
    PENDING,
    Claimed,
    DeliveryPage,
    NewDelivery,
    Outcome,
    WebhookSubscription,
)
from gateway.notify.store import NotifyStoreError, check_page, decode_cursor, page_of
from gateway.stores import SqliteCalls, stamp

# Each entry moves the schema one version up; never edit a released entry, add one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """
            CREATE TABLE webhook_subscriptions (
                id TEXT PRIMARY KEY,
                subscriber TEXT NOT NULL,
                owner INTEGER NOT NULL,
                product_id TEXT NOT NULL,
                url TEXT NOT NULL,
                secret TEXT NOT NULL,
                kinds TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX webhook_subscriptions_product ON webhook_subscriptions (product_id)",
            "CREATE INDEX webhook_subscriptions_subscriber "
            "ON webhook_subscriptions (subscriber, created_at)",
            """
            CREATE TABLE webhook_deliveries (
                id INTEGER PRIMARY KEY,
                subscription_id TEXT NOT NULL
                    REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
                event TEXT NOT NULL,
                reason TEXT NOT NULL,
                path TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                status TEXT NOT NULL,
                last_status INTEGER,
                last_error TEXT,
                next_attempt_at TEXT NOT NULL,
                delivered_at TEXT,
                claimed_until TEXT,
                created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)",
            "CREATE INDEX webhook_deliveries_log "
            "ON webhook_deliveries (subscription_id, created_at, id)",
            "CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at)",
            """
            CREATE TABLE notify_states (
                kind TEXT NOT NULL,
                product_id TEXT NOT NULL,
                state TEXT NOT NULL,
                PRIMARY KEY (kind, product_id)
            )
            """,
        ),
    ),
    # When each state was observed: an older observation is stale (gateway.notify.ledger).
    (2, ("ALTER TABLE notify_states ADD COLUMN observed_at TEXT",)),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
_P = "?"


def _time(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


class SqliteNotifyStore:
    def __init__(self, calls: SqliteCalls) -> None:
        self._calls = calls

    @classmethod
    async def open(cls, path: str) -> SqliteNotifyStore:
        return cls(
            await SqliteCalls.open(
                path, MIGRATIONS, table="notify_schema", what="notify store", error=NotifyStoreError
            )
        )

    async def _rows(self, statement: str, args: Sequence[Any]) -> list[Any]:
        return await self._calls.run(lambda: self._calls.db.execute(statement, args).fetchall())

    async def _count(self, statement: str, args: Sequence[Any]) -> int:
        return await self._calls.run(lambda: self._calls.db.execute(statement, args).rowcount)

    async def add(self, subscription: WebhookSubscription, *, most: int) -> bool:
        s = subscription
        row = (
            s.id, s.subscriber, int(s.owner), s.product_id, s.url, s.secret,
            sql.kinds_text(s.kinds), stamp(s.created_at), s.subscriber, most,
        )  # fmt: skip
        return await self._count(sql.add(_P), row) == 1

    async def get(self, subscription_id: str) -> WebhookSubscription | None:
        rows = await self._rows(sql.get(_P), (subscription_id,))
        return sql.subscription_of(rows[0], _time) if rows else None

    async def subscriptions(
        self, subscriber: str | None, *, limit: int
    ) -> Sequence[WebhookSubscription]:
        statement = sql.of_subscriber(_P, everyone=subscriber is None)
        args = (limit,) if subscriber is None else (subscriber, limit)
        return [sql.subscription_of(r, _time) for r in await self._rows(statement, args)]

    async def remove(self, subscription_id: str) -> bool:
        return await self._count(sql.remove(_P), (subscription_id,)) == 1

    async def wanting(self, product_ids: Sequence[str], kind: str) -> Sequence[WebhookSubscription]:
        if not product_ids:
            return []
        statement = sql.wanting(_P, len(product_ids))
        rows = await self._rows(statement, (*product_ids, f"%,{kind},%"))
        return [sql.subscription_of(r, _time) for r in rows]

    async def enqueue(self, deliveries: Sequence[NewDelivery], at: datetime) -> int:
        now = stamp(at)
        rows = [
            (d.subscription_id, json.dumps(d.event), d.reason, json.dumps(list(d.path)), PENDING,
             now, now)
            for d in deliveries
        ]  # fmt: skip

        def insert() -> int:
            self._calls.db.executemany(sql.enqueue(_P), rows)
            return len(rows)

        return await self._calls.run(self._calls.transaction, insert)

    async def claim(self, now: datetime, lease: datetime, limit: int) -> Sequence[Claimed]:
        at = stamp(now)
        rows = await self._rows(sql.claim(_P, skip_locked=False), (stamp(lease), at, at, limit))
        found = [sql.delivery_of(r, _time) for r in rows]
        claimed = []
        for delivery in found:
            subscription = await self.get(delivery.subscription_id)
            if subscription is not None:
                claimed.append(Claimed(delivery, subscription.url, subscription.secret, lease))
        return claimed

    async def finish(self, claimed: Claimed, outcome: Outcome) -> bool:
        o = outcome
        delivered = None if o.delivered_at is None else stamp(o.delivered_at)
        args = (
            o.status, o.attempts, o.last_status, o.last_error, stamp(o.next_attempt_at),
            delivered, claimed.delivery.id, stamp(claimed.lease),
        )  # fmt: skip
        return await self._count(sql.finish(_P), args) == 1

    async def deliveries(
        self, subscription_id: str, *, first: int = 20, after: str | None = None
    ) -> DeliveryPage:
        check_page(first)
        cut = decode_cursor(after) if after is not None else None
        args: list[Any] = [subscription_id]
        if cut is not None:
            args += [stamp(cut[0]), stamp(cut[0]), cut[1]]
        rows = await self._rows(sql.deliveries(_P, after=cut is not None), [*args, first + 1])
        return page_of([sql.delivery_of(r, _time) for r in rows], first)

    async def purge(self, older_than: datetime) -> int:
        return await self._count(sql.purge(_P), (stamp(older_than),))

    async def advance(self, kind: str, product_id: str, state: str, observed: datetime) -> bool:
        at = stamp(observed)

        def step() -> bool:
            db = self._calls.db
            if db.execute(sql.baseline(_P), (kind, product_id, state, at)).rowcount == 1:
                return False
            changed = db.execute(sql.change(_P), (state, at, kind, product_id, state, at))
            if changed.rowcount == 1:
                return True
            db.execute(sql.seen_again(_P), (at, kind, product_id, state, at))
            return False

        return await self._calls.run(step)

    async def close(self) -> None:
        await self._calls.close()
