"""A product that is down is named (PRODUCT_UNAVAILABLE), not "table not found", and its
flapping does not rebuild the DuckDB engine."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.errors import GatewayError
from gateway.http.refusal import STATUS_BY_CODE
from gateway.services import Services
from productkit.http.app import create_product_app
from tests.federation.steady.conftest import (
    ASSETS,
    US_DAILY,
    Builds,
    Product,
    opened,
    outcome,
    until,
)
from tests.fixtures.uvicorn import running

SQL = f"SELECT count(*) AS n FROM {ASSETS}"


async def refusal(services: Services, sql: str) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        await services.federation.run(sql)
    return caught.value


async def test_a_down_product_with_a_known_contract_is_named(
    products: dict[str, Product], tmp_path: Path
) -> None:
    # A stale copy lives 1 s: the product stays down longer, so the cached contract is
    # gone and only the federation's own last known contract describes the table.
    async with opened(tmp_path, cache_ttl_seconds=0.2, stale_ttl_seconds=1.0) as services:
        product = await services.registry.register(products["physical-risk"].url)
        assert await outcome(services, SQL) == "ok"
        products["physical-risk"].switch.mode = "down"
        assert await until(services, SQL, "PRODUCT_UNAVAILABLE") == "PRODUCT_UNAVAILABLE"
        await asyncio.sleep(1.2)  # past the stale copy's life
        error = await refusal(services, SQL)
        assert error.code == "PRODUCT_UNAVAILABLE"
        assert error.product_id == product.id
        assert "physical-risk.physical-risk" in error.message
        assert "did you mean" not in error.message
        assert STATUS_BY_CODE[error.code] == 503
        # Its tables are still described, by the contract last read.
        catalog = await services.federation.catalog()
        assert "physical-risk.physical-risk.assets" in catalog.names()
        # Nor does it leak an address of the product in its reason.
        assert "127.0.0.1" not in error.message
        products["physical-risk"].switch.mode = "up"
        assert await until(services, SQL, "ok") == "ok"


async def test_a_down_product_never_read_is_named_too(
    products: dict[str, Product], tmp_path: Path
) -> None:
    async with opened(tmp_path) as services:
        # Down right after it registered (its metadata and its one contract served, then
        # 503): the federation never read its contract.
        products["physical-risk"].switch.serve = 2
        product = await services.registry.register(products["physical-risk"].url)
        error = await refusal(services, SQL)
        assert error.code == "PRODUCT_UNAVAILABLE", error.message
        assert error.product_id == product.id
        assert "physical-risk.physical-risk" in error.message
        assert "did you mean" not in error.message
        # A product that is up answers meanwhile.
        await services.registry.register(products["us-precipitation"].url)
        assert await outcome(services, f"SELECT count(*) FROM {US_DAILY}") == "ok"


async def test_flapping_does_not_rebuild_the_engine(
    products: dict[str, Product], tmp_path: Path, builds: Builds
) -> None:
    async with opened(tmp_path, cache_ttl_seconds=0.2, stale_ttl_seconds=0.5) as services:
        await services.registry.register(products["physical-risk"].url)
        await services.registry.register(products["us-precipitation"].url)
        other = f"SELECT count(*) FROM {US_DAILY}"
        assert await outcome(services, SQL) == "ok"
        assert await outcome(services, other) == "ok"
        assert builds.count == 1
        switch = products["physical-risk"].switch
        for _ in range(2):  # down, up, down, up
            switch.mode = "down"
            assert await until(services, SQL, "PRODUCT_UNAVAILABLE") == "PRODUCT_UNAVAILABLE"
            await asyncio.sleep(0.7)  # past the stale copy's life: only the held contract
            assert await outcome(services, SQL) == "PRODUCT_UNAVAILABLE"
            assert await outcome(services, other) == "ok"
            switch.mode = "up"
            assert await until(services, SQL, "ok") == "ok"
        assert builds.count == 1


async def test_a_down_product_keeps_its_data_locations(
    products: dict[str, Product], tmp_path: Path
) -> None:
    # A hostile product registered after physical-risk declares tables on physical-risk's
    # own file. While physical-risk is down (its cached contract gone too), its last known
    # contract still holds the file: the hostile tables stay refused, nothing is handed
    # over (tests/graph/test_sql_location_owner.py has the same product end to end).
    from tests.graph.test_sql_location_owner import HOSTILE, TAKEN, hostile_product

    hostile_product(tmp_path / "copy", tmp_path / "kit" / "kit-data")
    app = create_product_app(
        tmp_path / "copy", server="kit", root=tmp_path / "kit", token="t", env={}
    )
    with running(app) as copy:
        async with opened(tmp_path, cache_ttl_seconds=0.2, stale_ttl_seconds=1.0) as services:
            await services.registry.register(products["physical-risk"].url)
            await asyncio.sleep(0.01)  # two distinct registration times
            hostile = await services.registry.register(f"{copy}/discover/metadata")

            async def refused() -> dict[str, str]:
                catalog = await services.federation.catalog()
                return {
                    u.table.rpartition(".")[2]: u.reason
                    for u in catalog.unavailable
                    if u.product_id == hostile.id and u.engine == "duckdb"
                }

            assert await refused() == dict.fromkeys(HOSTILE, TAKEN)
            products["physical-risk"].switch.mode = "down"
            assert await until(services, SQL, "PRODUCT_UNAVAILABLE") == "PRODUCT_UNAVAILABLE"
            await asyncio.sleep(1.2)  # past the stale copy's life
            await services.federation.catalog()  # starts a refresh without the copy
            await asyncio.sleep(0.5)
            assert (await refusal(services, SQL)).code == "PRODUCT_UNAVAILABLE"
            assert await refused() == dict.fromkeys(HOSTILE, TAKEN)
            hostile_sql = "SELECT count(*) FROM x.copy.asset_flood_exposure"
            assert await outcome(services, hostile_sql) == "TABLE_UNAVAILABLE"
