"""One slow product does not stall the SQL queries on the others: the catalog is state,
read concurrently under a deadline, not fetched product by product for each query."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from gateway.errors import GatewayError
from tests.federation.steady.conftest import (
    ASSETS,
    CITIES,
    US_DAILY,
    Product,
    opened,
    outcome,
)

DEADLINE = 0.5
MARGIN = 1.0  # a loaded machine; the slow product sleeps 3 s


async def test_one_slow_product_does_not_delay_the_others(
    products: dict[str, Product], tmp_path: Path
) -> None:
    async with opened(
        tmp_path, sql_catalog_deadline_seconds=DEADLINE, cache_ttl_seconds=0.2
    ) as services:
        slow = products["physical-risk"]
        await services.registry.register(slow.url)
        await services.registry.register(products["us-precipitation"].url)
        other = f"SELECT count(*) FROM {US_DAILY}"
        assert await outcome(services, other) == "ok"
        slow.switch.mode = "slow"
        await asyncio.sleep(0.3)  # every contract read is past its fresh time now
        for _ in range(4):
            started = time.monotonic()
            assert await outcome(services, other) == "ok"
            assert time.monotonic() - started < DEADLINE + MARGIN
            await asyncio.sleep(0.25)
        # A registry change: the next query waits for the refresh, at most the deadline.
        await services.registry.register(products["city-temperatures"].url)
        started = time.monotonic()
        assert await outcome(services, f"SELECT count(*) FROM {CITIES}") == "ok"
        assert time.monotonic() - started < DEADLINE + MARGIN
        # The slow one missed that refresh's deadline: named, its table still described.
        with pytest.raises(GatewayError) as caught:
            await services.federation.run(f"SELECT count(*) FROM {ASSETS}")
        assert caught.value.code == "PRODUCT_UNAVAILABLE"
        assert f"within {DEADLINE:g}s" in caught.value.message
