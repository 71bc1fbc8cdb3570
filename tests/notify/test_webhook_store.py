"""The notify store on SQLite and PostgreSQL: subscriptions and their limit, claims that
two stores on one database never share, the delivery log's pages and purge, and the
stored ledger telling a change once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.notify import CONTRACT, HEALTH, ISSUE
from gateway.notify.records import (
    DELIVERED,
    FAILED,
    PENDING,
    UPSTREAM,
    NewDelivery,
    Outcome,
    WebhookSubscription,
)
from gateway.notify.store import NotifyStore, open_notify_store

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    dsn: str = request.getfixturevalue("fresh_postgres_dsn")
    return dsn


@pytest.fixture
async def store(url: str) -> AsyncIterator[NotifyStore]:
    opened = await open_notify_store(url)
    yield opened
    await opened.close()


def sub(sid: str, who: str = "alice", product: str = "p1", kinds: tuple[str, ...] = (HEALTH,),
        owner: bool = False) -> WebhookSubscription:  # fmt: skip
    return WebhookSubscription(
        sid, who, owner, product, f"https://hooks.example.com/{sid}", "whsec_x", kinds, T0
    )


async def test_subscriptions_come_back_and_the_limit_holds(store: NotifyStore) -> None:
    assert await store.add(sub("a", kinds=(HEALTH, CONTRACT), owner=True), most=2)
    assert await store.add(sub("b", product="p2"), most=2)
    assert not await store.add(sub("c"), most=2)  # alice has 2
    assert await store.add(sub("d", who="bob"), most=2)
    assert await store.get("a") == sub("a", kinds=(HEALTH, CONTRACT), owner=True)
    assert await store.get("c") is None
    assert {s.id for s in await store.subscriptions("alice", limit=10)} == {"a", "b"}
    assert {s.id for s in await store.subscriptions(None, limit=10)} == {"a", "b", "d"}
    assert [s.id for s in await store.wanting(["p1"], HEALTH)] == ["a", "d"]
    assert [s.id for s in await store.wanting(["p1", "p2"], CONTRACT)] == ["a"]
    assert await store.wanting(["p1"], ISSUE) == []
    assert await store.remove("a") and not await store.remove("a")


async def test_a_due_delivery_is_claimed_once_and_finished_by_its_holder(
    store: NotifyStore,
) -> None:
    await store.add(sub("a"), most=10)
    event = {"id": "e1", "kind": HEALTH}
    await store.enqueue([NewDelivery("a", event, UPSTREAM, ("d.up", "d.down"))], T0)
    lease = T0 + timedelta(seconds=30)
    [held] = await store.claim(T0, lease, 10)
    assert (held.url, held.secret, held.delivery.event) == (
        "https://hooks.example.com/a", "whsec_x", event,
    )  # fmt: skip
    assert held.delivery.path == ("d.up", "d.down") and held.delivery.reason == UPSTREAM
    assert await store.claim(T0, lease, 10) == []  # held
    later = T0 + timedelta(seconds=31)
    [again] = await store.claim(later, later + timedelta(seconds=30), 10)  # lease ran out
    # The first holder lost it: its outcome is not recorded; the new holder's is.
    retry = Outcome(PENDING, 1, 500, "HTTP 500", later + timedelta(seconds=5))
    assert not await store.finish(held, retry)
    assert await store.finish(again, retry)
    assert await store.claim(later, later + timedelta(seconds=30), 10) == []  # not due yet
    due = later + timedelta(seconds=5)
    [third] = await store.claim(due, due + timedelta(seconds=30), 10)
    assert third.delivery.attempts == 1 and third.delivery.last_error == "HTTP 500"
    assert await store.finish(third, Outcome(DELIVERED, 2, 200, None, due, delivered_at=due))
    [logged] = (await store.deliveries("a")).items
    assert (logged.status, logged.attempts, logged.delivered_at) == (DELIVERED, 2, due)


async def test_two_stores_on_one_database_never_claim_the_same_delivery(url: str) -> None:
    one, two = await open_notify_store(url), await open_notify_store(url)
    try:
        await one.add(sub("a"), most=10)
        await one.enqueue([NewDelivery("a", {"n": n}) for n in range(60)], T0)
        lease = T0 + timedelta(seconds=30)
        found = await asyncio.gather(*(s.claim(T0, lease, 7) for s in (one, two) * 6))
        ids = [c.delivery.id for batch in found for c in batch]
        assert len(ids) == 60 and len(set(ids)) == 60
    finally:
        await one.close()
        await two.close()


async def test_the_log_pages_newest_first_and_purge_keeps_pending(store: NotifyStore) -> None:
    await store.add(sub("a"), most=10)
    for n in range(5):
        await store.enqueue([NewDelivery("a", {"n": n})], T0 + timedelta(minutes=n))
    page = await store.deliveries("a", first=2)
    assert [d.event["n"] for d in page.items] == [4, 3] and page.has_next
    rest = await store.deliveries("a", first=10, after=page.end_cursor)
    assert [d.event["n"] for d in rest.items] == [2, 1, 0] and not rest.has_next
    [c0, c1] = await store.claim(T0 + timedelta(minutes=1), T0 + timedelta(hours=1), 2)
    await store.finish(c0, Outcome(FAILED, 1, None, "x", T0))
    await store.finish(c1, Outcome(DELIVERED, 1, 200, None, T0, delivered_at=T0))
    assert await store.purge(T0 + timedelta(minutes=10)) == 2  # finished ones only
    assert [d.event["n"] for d in (await store.deliveries("a")).items] == [4, 3, 2]
    await store.remove("a")  # the log goes with its subscription
    assert (await store.deliveries("a")).items == ()


async def test_the_stored_ledger_tells_a_change_once_across_stores(url: str) -> None:
    one, two = await open_notify_store(url), await open_notify_store(url)
    at = [T0 + timedelta(seconds=n) for n in range(4)]
    try:
        assert not await one.advance(HEALTH, "p", "UP", at[0])  # baseline
        assert not await two.advance(HEALTH, "p", "UP", at[0])
        told = await asyncio.gather(
            *(s.advance(HEALTH, "p", "DOWN", at[1]) for s in (one, two) * 4)
        )
        assert told.count(True) == 1
        assert not await two.advance(CONTRACT, "p", "DOWN", at[1])  # another kind: its baseline
        assert await two.advance(HEALTH, "p", "UP", at[2])
    finally:
        await one.close()
        await two.close()
    reopened = await open_notify_store(url)  # a restart does not tell the state again
    try:
        assert not await reopened.advance(HEALTH, "p", "UP", at[3])
    finally:
        await reopened.close()


async def test_the_ledger_refuses_a_state_observed_before_the_one_it_holds(
    store: NotifyStore,
) -> None:
    at = [T0 + timedelta(seconds=n) for n in range(6)]
    assert not await store.advance(HEALTH, "p", "UP", at[0])  # baseline
    assert await store.advance(HEALTH, "p", "PAUSED", at[2])  # told
    # A check begun at 1 s (before the pause was seen at 2 s) ends now, saying UP: stale.
    assert not await store.advance(HEALTH, "p", "UP", at[1])
    assert not await store.advance(HEALTH, "p", "PAUSED", at[3])  # so PAUSED is still held
    # PAUSED seen again at 3 s: an UP seen at 2 s, between the two, is stale as well...
    assert not await store.advance(HEALTH, "p", "UP", at[2])
    assert await store.advance(HEALTH, "p", "UP", at[4])  # ...and a later one is news
    assert await store.advance(HEALTH, "p", "DOWN", at[4])  # observed at the same moment


async def test_a_ledger_row_from_before_observation_times_takes_any_observation(
    store: NotifyStore, url: str
) -> None:
    """A row written by a gateway of schema 1 has no observation time: any state differing
    from it is a change (nothing is known to be newer)."""
    assert not await store.advance(HEALTH, "p", "UP", T0)
    await _forget_observation_times(url)
    assert await store.advance(HEALTH, "p", "DOWN", T0 - timedelta(days=1))


async def _forget_observation_times(url: str) -> None:
    statement = "UPDATE notify_states SET observed_at = NULL"
    if url.startswith("sqlite:///"):
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            db.execute(statement)
        return
    import psycopg

    async with await psycopg.AsyncConnection.connect(url) as conn:
        await conn.execute(statement)
