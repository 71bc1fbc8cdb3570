"""The registry's store timed in process, for bench/registry_scale.py ``--store-only``:
what the resolvers of ``products``, ``search`` and ``domains`` await, and the PostgreSQL
SQL of before (``OFFSET`` pages, ``ts_rank``) next to today's, interleaved."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx

from gateway.registry import Registry, open_registry
from gateway.registry.listing import ListingKey, listing_key
from gateway.registry.search_index import terms
from gateway.registry.store import parse_registry_url

SEARCHES = ("ozone", "precipitation daily", "h3", "danube flood", "station temperature")
"""The searches every size is timed with, in turn."""


# What the PostgreSQL store ran before keyset pages and ranking rows (issue 10), timed
# next to what it runs now by --store-only: same database, interleaved.
BEFORE_SEARCH = (
    "WITH q AS (SELECT to_tsquery('simple', %s) AS q) SELECT product_id, "
    "ts_rank('{0.15, 0.35, 0.55, 1.0}'::float4[], doc, q.q) AS score FROM search_docs, q "
    'WHERE doc @@ q.q ORDER BY score DESC, key COLLATE "C" LIMIT 20'
)
BEFORE_DEEP = (
    'SELECT * FROM products ORDER BY domain COLLATE "C", sort_name COLLATE "C", '
    'name COLLATE "C", id COLLATE "C" LIMIT 50 OFFSET %s'
)


async def before_and_after(url: str, size: int, runs: int) -> dict[str, list[float]]:
    """The PostgreSQL store's deep page and search SQL, before and now, interleaved."""
    import psycopg

    from gateway.registry.postgres import _ranked

    store = await open_registry(url)
    try:
        (last,) = await store.list(offset=max(size - 61, 0), limit=1)
    finally:
        await store.close()
    dsn = parse_registry_url(url).target
    found: dict[str, list[float]] = {}
    async with await psycopg.AsyncConnection.connect(dsn) as conn:

        async def old_search(i: int) -> None:
            wanted = terms(SEARCHES[i % len(SEARCHES)])
            query = " | ".join(f"({term.tsquery()})" for term in wanted)
            await (await conn.execute(BEFORE_SEARCH, (query,))).fetchall()

        async def new_search(i: int) -> None:
            await (await conn.execute(*_ranked(terms(SEARCHES[i % len(SEARCHES)]), 20))).fetchall()

        async def old_deep(i: int) -> None:
            await (await conn.execute(BEFORE_DEEP, (max(size - 60, 0),))).fetchall()

        store = await open_registry(url)
        try:

            async def new_deep(i: int) -> None:
                await store.list(limit=51, after=listing_key(last))

            calls = {
                "page, 50 deep: OFFSET (before, SQL only)": old_deep,
                "page, 50 deep: after the listing key (store)": new_deep,
                "search: ts_rank (before, ranking SQL only)": old_search,
                "search: ranking rows (ranking SQL only)": new_search,
            }
            for name in calls:
                found[name] = []
            for i in range(runs + 3):
                for name, call in calls.items():
                    start = time.perf_counter()
                    await call(i)
                    if i >= 3:
                        found[name].append((time.perf_counter() - start) * 1000)
        finally:
            await store.close()
    return found


async def measure_store(url: str, size: int, runs: int) -> dict[str, list[float]]:
    """The registry's side of each graph field, in process (``--store-only``): what the
    resolvers of ``products``, ``search`` and ``domains`` await, without HTTP, GraphQL or
    the gateway's background work (which at 10,000 products is its own cost, see
    docs/benchmarks.md)."""
    store = await open_registry(url)
    registry = Registry(store, httpx.AsyncClient())
    found: dict[str, list[float]] = {}

    async def timed(name: str, call: Callable[[int], Any]) -> None:
        for i in range(3):
            await call(i)
        times = []
        for i in range(runs):
            start = time.perf_counter()
            await call(i)
            times.append((time.perf_counter() - start) * 1000)
        found[name] = times

    async def page(after: ListingKey | None) -> None:
        await asyncio.gather(registry.count(), registry.list(limit=51, after=after))

    try:
        (last,) = await store.list(offset=max(size - 61, 0), limit=1)
        await timed("page, first 50 (store)", lambda i: page(None))
        await timed("page, 50 deep (store)", lambda i: page(listing_key(last)))
        await timed("search (store)", lambda i: registry.search(SEARCHES[i % 5], limit=20))
        await timed("domains (store)", lambda i: registry.domains())
    finally:
        await store.close()
    return found
