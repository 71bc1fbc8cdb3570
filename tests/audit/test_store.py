"""The audit store on both backends: what it keeps, paging, purging, restarts."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from gateway.audit import AuditError, AuditStore, open_audit_store
from gateway.errors import BadRequest
from gateway.registry import open_registry
from gateway.usage import open_usage
from tests.audit.conftest import ANALYST, event

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


async def test_an_event_comes_back_as_it_was_recorded(store: AuditStore) -> None:
    recorded = event(T0, "p1", "p2", rows=7, detail="SELECT a FROM t")
    event_id = await store.record(recorded)
    for product in ("p1", "p2"):
        page = await store.for_product(product)
        [found] = page.events
        assert found.id == event_id
        assert found.at == T0
        assert (found.action, found.outcome, found.rows, found.detail) == (
            "sql.query", "ok", 7, "SELECT a FROM t",
        )  # fmt: skip
        assert found.actor == ANALYST
        assert (found.request_id, found.address) == (f"req-{T0.timestamp():.0f}", "10.0.0.9")
        assert found.products == recorded.products
        assert found.tables == recorded.tables
        assert (page.has_next, page.end_cursor is not None) == (False, True)
    assert (await store.for_product("p3")).events == ()


async def test_an_event_without_products_is_kept_but_listed_under_none(
    store: AuditStore,
) -> None:
    await store.record(event(T0, action="registry.register", outcome="UPSTREAM_UNAVAILABLE"))
    await store.record(event(T0, "p1"))
    assert [e.action for e in (await store.for_product("p1")).events] == ["sql.query"]


async def test_pages_run_newest_first_and_do_not_shift(store: AuditStore) -> None:
    # Recorded out of time order: the list follows time, not insertion.
    times = [T0 + timedelta(minutes=m) for m in (3, 0, 4, 1, 2)]
    for at in times:
        await store.record(event(at, "p1"))
    first = await store.for_product("p1", first=2)
    assert [e.at for e in first.events] == sorted(times, reverse=True)[:2]
    assert first.has_next
    # A newer event arriving between pages does not move the next page.
    await store.record(event(T0 + timedelta(hours=1), "p1"))
    second = await store.for_product("p1", first=2, after=first.end_cursor)
    assert [e.at for e in second.events] == sorted(times, reverse=True)[2:4]
    third = await store.for_product("p1", first=2, after=second.end_cursor)
    assert [e.at for e in third.events] == [T0]
    assert not third.has_next


async def test_events_at_the_same_instant_are_paged_by_id(store: AuditStore) -> None:
    ids = [await store.record(event(T0, "p1", rows=n)) for n in range(3)]
    first = await store.for_product("p1", first=2)
    rest = await store.for_product("p1", first=2, after=first.end_cursor)
    assert [e.id for e in (*first.events, *rest.events)] == sorted(ids, reverse=True)


async def test_since_bounds_the_window(store: AuditStore) -> None:
    for m in range(4):
        await store.record(event(T0 + timedelta(minutes=m), "p1"))
    page = await store.for_product("p1", since=T0 + timedelta(minutes=2))
    assert [e.at for e in page.events] == [T0 + timedelta(minutes=3), T0 + timedelta(minutes=2)]


@pytest.mark.parametrize("first", [0, 101, -1])
async def test_a_page_size_out_of_range_is_refused(store: AuditStore, first: int) -> None:
    with pytest.raises(BadRequest, match="first"):
        await store.for_product("p1", first=first)


@pytest.mark.parametrize("cursor", ["nope", "YXVkaXQ6eHx5", ""])
async def test_a_cursor_not_made_here_is_refused(store: AuditStore, cursor: str) -> None:
    with pytest.raises(BadRequest, match="after"):
        await store.for_product("p1", after=cursor)


async def test_purge_removes_only_older_events_and_their_product_rows(
    store: AuditStore, audit_url: str
) -> None:
    await store.record(event(T0 - timedelta(days=400), "p1", "p2"))
    await store.record(event(T0 - timedelta(days=10), "p1"))
    assert await store.purge(T0 - timedelta(days=365)) == 1
    assert [e.at for e in (await store.for_product("p1")).events] == [T0 - timedelta(days=10)]
    assert (await store.for_product("p2")).events == ()
    assert _count(audit_url, "audit_products") == 1  # the purged event's rows went too
    assert await store.purge(T0 - timedelta(days=365)) == 0


async def test_events_survive_a_restart(audit_url: str) -> None:
    first = await open_audit_store(audit_url)
    await first.record(event(T0, "p1"))
    await first.close()
    again = await open_audit_store(audit_url)
    try:
        await again.record(event(T0 + timedelta(seconds=1), "p1"))
        assert len((await again.for_product("p1")).events) == 2
    finally:
        await again.close()


async def test_the_audit_tables_live_beside_the_registry_and_usage(audit_url: str) -> None:
    registry = await open_registry(audit_url)
    usage = await open_usage(audit_url)
    audit = await open_audit_store(audit_url)
    try:
        await audit.record(event(T0, "p1"))
        assert await registry.list() == []
        assert await usage.log() == []
    finally:
        await audit.close()
        await usage.close()
        await registry.close()


async def test_a_newer_schema_is_refused(audit_url: str) -> None:
    await (await open_audit_store(audit_url)).close()
    _execute(audit_url, "UPDATE audit_schema SET version = 99")
    with pytest.raises(AuditError, match="schema version 99, newer"):
        await open_audit_store(audit_url)


async def test_a_closed_store_refuses_writes(audit_url: str) -> None:
    store = await open_audit_store(audit_url)
    await store.close()
    with pytest.raises(AuditError):
        await store.record(event(T0, "p1"))


def _execute(url: str, sql: str) -> None:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///") :]) as db:
            db.execute(sql)
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql)


def _count(url: str, table: str) -> int:
    sql = f"SELECT count(*) FROM {table}"
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///") :]) as db:
            return int(db.execute(sql).fetchone()[0])
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
        assert row is not None
        return int(row[0])
