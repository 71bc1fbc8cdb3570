"""A registry event makes the SQL catalog read the product it names, not every product."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from gateway.services import Services
from tests.federation.steady.conftest import Product, opened


async def settled(services: Services) -> None:
    """Until the health check and the certification each registration starts are done."""
    for follower in (services.health.follower, services.certifier.follower):
        await asyncio.wait_for(follower.idle(), 30)


async def test_a_registration_reads_only_the_new_products_contracts(
    products: dict[str, Product], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A read past the catalog's deadline (a loaded machine) makes the next refresh read
    # every product again, by design: the deadline here is far from any such load.
    async with opened(
        tmp_path, cache_ttl_seconds=60.0, sql_catalog_deadline_seconds=60.0
    ) as services:
        await services.registry.register(products["physical-risk"].url)
        await services.registry.register(products["us-precipitation"].url)
        assert "physical-risk.physical-risk.assets" in (await services.federation.catalog()).names()
        await settled(services)  # the checks these registrations started read contracts too
        asked: list[str] = []
        real = services.fetcher.get_json

        async def counted(url: str, **options: Any) -> Any:
            asked.append(url)
            return await real(url, **options)

        monkeypatch.setattr(services.fetcher, "get_json", counted)
        city = products["city-temperatures"].url
        added = await services.registry.register(city)
        names = (await services.federation.catalog()).names()
        assert any(name.startswith(f"{added.domain}.{added.slug}.") for name in names)
        assert any(name.startswith("physical-risk.") for name in names)  # kept as read
        contracts = [url for url in asked if "/discover/contracts/" in url]
        # Before, each event read every product's contracts again (13,000 at 10,000).
        assert contracts and all(url.startswith(city) for url in contracts), contracts
        # An unregistration drops the product's tables without reading the others.
        await settled(services)
        asked.clear()
        await services.registry.unregister(added.id)
        names = (await services.federation.catalog()).names()
        assert not any(name.startswith(f"{added.domain}.{added.slug}.") for name in names)
        assert [url for url in asked if "/discover/contracts/" in url] == []
