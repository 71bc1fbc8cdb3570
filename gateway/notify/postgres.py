"""The PostgreSQL notify store: the registry's database, tables of their own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

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
from gateway.stores import Connection, PostgresCalls, utc

# Each entry moves the schema one version up; never edit a released entry, add one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """
            CREATE TABLE webhook_subscriptions (
                id text PRIMARY KEY,
                subscriber text NOT NULL,
                owner boolean NOT NULL,
                product_id text NOT NULL,
                url text NOT NULL,
                secret text NOT NULL,
                kinds text NOT NULL,
                created_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX webhook_subscriptions_product ON webhook_subscriptions (product_id)",
            "CREATE INDEX webhook_subscriptions_subscriber "
            "ON webhook_subscriptions (subscriber, created_at)",
            """
            CREATE TABLE webhook_deliveries (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                subscription_id text NOT NULL
                    REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
                event jsonb NOT NULL,
                reason text NOT NULL,
                path jsonb NOT NULL,
                attempts integer NOT NULL,
                status text NOT NULL,
                last_status integer,
                last_error text,
                next_attempt_at timestamptz NOT NULL,
                delivered_at timestamptz,
                claimed_until timestamptz,
                created_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)",
            "CREATE INDEX webhook_deliveries_log "
            "ON webhook_deliveries (subscription_id, created_at, id)",
            "CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at)",
            """
            CREATE TABLE notify_states (
                kind text NOT NULL,
                product_id text NOT NULL,
                state text NOT NULL,
                PRIMARY KEY (kind, product_id)
            )
            """,
        ),
    ),
    # When each state was observed: an older observation is stale (gateway.notify.ledger).
    (2, ("ALTER TABLE notify_states ADD COLUMN observed_at timestamptz",)),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
# Serializes gateways migrating the same database at once ("notify" in ASCII).
_MIGRATION_LOCK = 0x6E6F74696679
_P = "%s"


def _time(value: Any) -> datetime:
    return value  # type: ignore[no-any-return]


class PostgresNotifyStore:
    def __init__(self, calls: PostgresCalls) -> None:
        self._calls = calls

    @classmethod
    async def open(cls, dsn: str, *, pool_size: int = 4) -> PostgresNotifyStore:
        calls = await PostgresCalls.open(
            dsn, MIGRATIONS, table="notify_schema", what="notify store",
            error=NotifyStoreError, lock_key=_MIGRATION_LOCK, pool_size=pool_size,
        )  # fmt: skip
        return cls(calls)

    async def add(self, subscription: WebhookSubscription, *, most: int) -> bool:
        s = subscription
        row = [
            s.id, s.subscriber, s.owner, s.product_id, s.url, s.secret,
            sql.kinds_text(s.kinds), utc(s.created_at), s.subscriber, most,
        ]  # fmt: skip
        return await self._calls.execute(sql.add(_P), row) == 1

    async def get(self, subscription_id: str) -> WebhookSubscription | None:
        rows = await self._calls.select(sql.get(_P), [subscription_id])
        return sql.subscription_of(rows[0], _time) if rows else None

    async def subscriptions(
        self, subscriber: str | None, *, limit: int
    ) -> Sequence[WebhookSubscription]:
        statement = sql.of_subscriber(_P, everyone=subscriber is None)
        args: list[Any] = [limit] if subscriber is None else [subscriber, limit]
        return [sql.subscription_of(r, _time) for r in await self._calls.select(statement, args)]

    async def remove(self, subscription_id: str) -> bool:
        return await self._calls.execute(sql.remove(_P), [subscription_id]) == 1

    async def wanting(self, product_ids: Sequence[str], kind: str) -> Sequence[WebhookSubscription]:
        if not product_ids:
            return []
        statement = sql.wanting(_P, len(product_ids))
        rows = await self._calls.select(statement, [*product_ids, f"%,{kind},%"])
        return [sql.subscription_of(r, _time) for r in rows]

    async def enqueue(self, deliveries: Sequence[NewDelivery], at: datetime) -> int:
        now = utc(at)
        rows = [
            (d.subscription_id, Jsonb(dict(d.event)), d.reason, Jsonb(list(d.path)), PENDING,
             now, now)
            for d in deliveries
        ]  # fmt: skip

        async def insert(conn: Connection) -> int:
            async with conn.transaction(), conn.cursor() as cursor:
                await cursor.executemany(sql.enqueue(_P), rows)
            return len(rows)

        return await self._calls.run(insert)

    async def claim(self, now: datetime, lease: datetime, limit: int) -> Sequence[Claimed]:
        at = utc(now)
        statement = sql.claim(_P, skip_locked=True)
        rows = await self._calls.select(statement, [utc(lease), at, at, limit])
        found = [sql.delivery_of(r, _time) for r in rows]
        claimed = []
        for delivery in found:
            subscription = await self.get(delivery.subscription_id)
            if subscription is not None:
                claimed.append(Claimed(delivery, subscription.url, subscription.secret, lease))
        return claimed

    async def finish(self, claimed: Claimed, outcome: Outcome) -> bool:
        o = outcome
        delivered = None if o.delivered_at is None else utc(o.delivered_at)
        args = [
            o.status, o.attempts, o.last_status, o.last_error, utc(o.next_attempt_at),
            delivered, claimed.delivery.id, utc(claimed.lease),
        ]  # fmt: skip
        return await self._calls.execute(sql.finish(_P), args) == 1

    async def deliveries(
        self, subscription_id: str, *, first: int = 20, after: str | None = None
    ) -> DeliveryPage:
        check_page(first)
        cut = decode_cursor(after) if after is not None else None
        args: list[Any] = [subscription_id]
        if cut is not None:
            args += [cut[0], cut[0], cut[1]]
        statement = sql.deliveries(_P, after=cut is not None)
        rows = await self._calls.select(statement, [*args, first + 1])
        return page_of([sql.delivery_of(r, _time) for r in rows], first)

    async def purge(self, older_than: datetime) -> int:
        return await self._calls.execute(sql.purge(_P), [utc(older_than)])

    async def advance(self, kind: str, product_id: str, state: str, observed: datetime) -> bool:
        at = utc(observed)

        async def step(conn: Connection) -> bool:
            first = await conn.execute(sql.baseline(_P), [kind, product_id, state, at])
            if first.rowcount == 1:
                return False
            changed = await conn.execute(sql.change(_P), [state, at, kind, product_id, state, at])
            if changed.rowcount == 1:
                return True
            await conn.execute(sql.seen_again(_P), [at, kind, product_id, state, at])
            return False

        return await self._calls.run(step)

    async def close(self) -> None:
        await self._calls.close()
