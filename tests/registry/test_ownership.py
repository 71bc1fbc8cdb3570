"""Hole 2 of issue 6: names cannot be taken over.

Keys (``domain.slug``) compare case-insensitively everywhere, and only the owner of a
product's domain (``owner:<domain>``) or an admin registers, refreshes or unregisters it.
Each test runs on SQLite and PostgreSQL (the ``registry`` fixture).
"""

from __future__ import annotations

import pytest

from gateway.errors import Forbidden, RegistryError
from gateway.identity import Principal
from gateway.registry import Registry
from tests.registry.product_site import FakeProduct, ProductSite, descriptor

US_ID = "da6025e9-695b-4022-85ee-695fc2aa0004"
OWNER = Principal("ada", roles=frozenset({"owner:precipitation"}))
OTHER_OWNER = Principal("mallory", roles=frozenset({"owner:flood"}))
ANALYST = Principal("ana", roles=frozenset({"analyst", "precipitation_reader"}))
ADMIN = Principal("root", roles=frozenset({"admin"}))


async def test_a_case_variant_of_a_domain_is_the_same_key(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor())
    site.products["twin"] = FakeProduct(descriptor(id="twin-id", domain="PRECIPITATION"))
    await registry.register(f"{base_url}/p/us", actor=OWNER)
    with pytest.raises(RegistryError) as caught:
        await registry.register(f"{base_url}/p/twin", actor=OWNER)
    assert "twin-id" in caught.value.message
    assert [p.id for p in await registry.list()] == [US_ID]
    # Every spelling of the key finds the one product.
    for spelling in ("precipitation.us-precipitation", "Precipitation.US-PRECIPITATION"):
        found = await registry.get(spelling)
        assert found is not None and found.id == US_ID
    assert await registry.count(domain="PRECIPITATION") == 1


async def test_a_registered_key_is_stored_lower_case(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["flood"] = FakeProduct(descriptor(id="f1", domain="Flood", slug="flood-areas"))
    stored = await registry.register(f"{base_url}/p/flood", actor=ADMIN)
    assert stored.key == "flood.flood-areas"


async def test_only_the_domain_owner_or_an_admin_unregisters(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor())
    await registry.register(f"{base_url}/p/us", actor=OWNER)
    for intruder in (ANALYST, OTHER_OWNER):
        with pytest.raises(Forbidden) as caught:
            await registry.unregister("precipitation.us-precipitation", actor=intruder)
        assert caught.value.code == "FORBIDDEN"
        assert caught.value.details["role"] == "owner:precipitation"
        assert caught.value.product_id == US_ID
    assert await registry.get(US_ID) is not None
    removed = await registry.unregister("PRECIPITATION.us-precipitation", actor=ADMIN)
    assert removed.id == US_ID and await registry.get(US_ID) is None


async def test_another_domains_owner_can_neither_register_nor_refresh(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor())
    with pytest.raises(Forbidden):
        await registry.register(f"{base_url}/p/us", actor=OTHER_OWNER)
    assert await registry.count() == 0
    await registry.register(f"{base_url}/p/us", actor=OWNER)
    with pytest.raises(Forbidden):
        await registry.refresh(US_ID, actor=OTHER_OWNER)
    refreshed = await registry.refresh(US_ID, actor=OWNER)
    assert refreshed.id == US_ID


async def test_a_caller_owning_no_domain_makes_the_gateway_fetch_nothing(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor())
    with pytest.raises(Forbidden):
        await registry.register(f"{base_url}/p/us", actor=ANALYST)
    assert site.requests == []  # refused before any request left the gateway


async def test_an_owner_cannot_move_a_product_out_of_anothers_domain(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor())
    await registry.register(f"{base_url}/p/us", actor=OWNER)
    # The same product id now claims the flood domain: its flood owner may not take it.
    site.products["us"] = FakeProduct(descriptor(domain="flood"))
    with pytest.raises(Forbidden):
        await registry.register(f"{base_url}/p/us", actor=OTHER_OWNER)
    stored = await registry.get(US_ID)
    assert stored is not None and stored.domain == "precipitation"
