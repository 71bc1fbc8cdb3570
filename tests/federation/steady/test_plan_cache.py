"""Kept plans (gateway.federation.plan_cache) are served only to the caller they were made
for, over the catalog state they were made from: a caller with fewer rights, another row
cap or a changed catalog gets a plan of its own (or its refusal)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import Forbidden, GatewayError
from gateway.federation.catalog import StaticCatalog
from gateway.federation.plan_cache import ENTRY_OVERHEAD, PlanCache
from gateway.federation.planner import plan
from gateway.identity import Principal
from tests.federation.steady.conftest import ASSETS, Product, opened

SQL = f"SELECT asset_id, latitude, country_code FROM {ASSETS} ORDER BY asset_id"
ADMIN = Principal("root", roles=frozenset({"admin"}))
DEMOTED = Principal("root", roles=frozenset({"analyst"}))  # the same subject, fewer roles
ANALYST = Principal("ana", roles=frozenset({"analyst"}))
STRANGER = Principal("eve", roles=frozenset({"flood_reader"}))


def sha(text: Any) -> str:
    return hashlib.sha256(str(text).encode()).hexdigest()


async def test_a_plan_kept_for_an_admin_never_serves_a_caller_with_fewer_rights(
    products: dict[str, Product], tmp_path: Path
) -> None:
    async with opened(tmp_path) as services:
        await services.registry.register(products["physical-risk"].url)
        federation = services.federation
        cache = federation._planner.cache
        clear = (await federation.run(SQL, principal=ADMIN)).result.rows
        assert clear and str(clear[0][0]).startswith("CQA-")
        hits = cache.hits
        again = await federation.run(SQL, principal=ADMIN)
        assert cache.hits == hits + 1  # the admin's second query was not planned again
        assert again.result.rows == clear
        # The analyst's rows, masked as the contract says (computed from the clear rows).
        masked = sorted((sha(a), "****", c) for a, _, c in clear)
        for reader in (ANALYST, DEMOTED, ANALYST):
            answer = await federation.run(SQL, principal=reader)
            assert sorted(answer.result.rows) == masked, reader
            assert answer.plan.user == reader.subject
            assert answer.plan.masked
        with pytest.raises(Forbidden):
            await federation.run(SQL, principal=STRANGER)
        # A kept plan carries its row cap: another cap is another plan.
        three = await federation.run(SQL, principal=ANALYST, max_rows=3)
        five = await federation.run(SQL, principal=ANALYST, max_rows=5)
        assert (len(three.result.rows), len(five.result.rows)) == (3, 5)
        assert three.result.truncated and five.result.truncated


async def test_a_catalog_change_plans_the_statement_again(
    products: dict[str, Product], tmp_path: Path
) -> None:
    async with opened(tmp_path) as services:
        federation = services.federation
        first = await services.registry.register(products["physical-risk"].url)
        answer = await federation.run(SQL, principal=ADMIN)
        assert answer.plan.products == (first.id,)
        await services.registry.unregister(first.id)
        with pytest.raises(GatewayError) as caught:
            await federation.run(SQL, principal=ADMIN)
        assert caught.value.code == "TABLE_NOT_FOUND"
        # Registered again: another catalog generation, so planned again, not served the
        # plan kept from before (a kept plan is the very object that was kept).
        await services.registry.register(products["physical-risk"].url)
        misses = federation._planner.cache.misses
        again = await federation.run(SQL, principal=ADMIN)
        assert federation._planner.cache.misses == misses + 1
        assert again.plan is not answer.plan and again.plan == answer.plan
        assert (await federation.run(SQL, principal=ADMIN)).plan is again.plan
        assert again.result.rows == answer.result.rows


def test_the_cache_stays_within_its_bound_whatever_is_asked() -> None:
    # A caller sending ever new statements only pushes older plans out.
    made = plan("SELECT 1 AS one", StaticCatalog([]), "duckdb", max_rows=10)
    cache = PlanCache(max_bytes=20 * ENTRY_OVERHEAD)
    for i in range(500):
        cache.put(cache.key(f"SELECT {i} AS one", "duckdb", 10, ANALYST, (1,)), made)
        assert cache.size <= cache.max_bytes
    assert 0 < len(cache) < 20
    assert cache.get(cache.key("SELECT 499 AS one", "duckdb", 10, ANALYST, (1,))) is made
    assert cache.get(cache.key("SELECT 0 AS one", "duckdb", 10, ANALYST, (1,))) is None
    # Least recently used first: the entry just read outlives a full round of new ones.
    oldest = cache.key(f"SELECT {500 - len(cache) + 1} AS one", "duckdb", 10, ANALYST, (1,))
    assert cache.get(oldest) is made
    cache.put(cache.key("SELECT 'new' AS one", "duckdb", 10, ANALYST, (1,)), made)
    assert cache.get(oldest) is made


def test_a_plan_larger_than_the_bound_is_not_kept() -> None:
    big = "SELECT " + ", ".join(f"{i} AS c{i}" for i in range(300))
    made = plan(big, StaticCatalog([]), "duckdb", max_rows=10)
    cache = PlanCache(max_bytes=4 * 1024)
    key = cache.key(big, "duckdb", 10, None, (1,))
    cache.put(key, made)
    assert cache.get(key) is None and cache.size == 0
