"""Opening the usage store: beside the registry, newer schemas, bad URLs, write cost."""

from __future__ import annotations

import sqlite3
import time

import psycopg
import pytest

from gateway.errors import BadRequest
from gateway.registry import open_registry
from gateway.usage import UsageError, open_usage
from tests.usage.conftest import JOIN, entry, product_of


async def test_the_usage_tables_live_beside_the_registry(usage_url: str) -> None:
    registry = await open_registry(usage_url)
    usage = await open_usage(usage_url)
    try:
        await usage.record(entry(JOIN, rows=2))
        assert await registry.list() == []  # the registry's tables are untouched
        assert (await usage.totals(product_of("physical-risk.physical-risk.assets"))).queries == 1
    finally:
        await usage.close()
        await registry.close()


def _set_version(url: str, version: int) -> None:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///") :]) as db:
            db.execute("UPDATE usage_schema SET version = ?", (version,))
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE usage_schema SET version = %s", (version,))


async def test_a_newer_schema_is_refused(usage_url: str) -> None:
    await (await open_usage(usage_url)).close()
    _set_version(usage_url, 99)
    with pytest.raises(UsageError, match="schema version 99, newer"):
        await open_usage(usage_url)


async def test_a_bad_url_names_the_setting() -> None:
    with pytest.raises(BadRequest, match="MESHGATE_REGISTRY_URL"):
        await open_usage("mysql://x")


async def test_an_unreachable_postgres_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="cannot connect"):
        # Port 9 (discard) is closed on 127.0.0.1: the connection is refused at once.
        await open_usage("postgresql://nobody@127.0.0.1:9/none?connect_timeout=2")


async def test_a_closed_store_refuses_writes(usage_url: str) -> None:
    store = await open_usage(usage_url)
    await store.close()
    with pytest.raises(UsageError):
        await store.record(entry(JOIN))


async def test_recording_costs_little(usage_url: str) -> None:
    """A loose bound that catches a store made slow (an fsync or a connection per write);
    docs/usage.md gives the figures measured on a quiet machine."""
    store = await open_usage(usage_url)
    try:
        record = entry(JOIN, rows=5)
        await store.record(record)  # warm up
        started = time.perf_counter()
        for _ in range(200):
            await store.record(record)
        mean_ms = (time.perf_counter() - started) * 1000 / 200
    finally:
        await store.close()
    assert mean_ms < 25, f"recording one query takes {mean_ms:.2f} ms on average"
