"""The whole registry kept in memory per state (gateway.registry.snapshot), both stores."""

from __future__ import annotations

import builtins
import dataclasses
from datetime import timedelta

import httpx

from gateway.registry import Registry, RegistryStore, open_registry
from tests.registry.product_site import FakeProduct, ProductSite, descriptor
from tests.registry.test_store import MESH, T0


class CountingStore:
    """A real store that counts the reads of the whole registry."""

    def __init__(self, store: RegistryStore) -> None:
        self.store = store
        self.whole_reads = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    async def list(self, **filters: object) -> builtins.list[object]:
        if not filters:
            self.whole_reads += 1
        return await self.store.list(**filters)  # type: ignore[arg-type]


async def test_the_registry_is_read_once_per_state(
    store: RegistryStore,
    registry_url: str,
    http: httpx.AsyncClient,
    site: ProductSite,
    base_url: str,
) -> None:
    for p in MESH:
        await store.upsert(p)
    counting = CountingStore(store)
    registry = Registry(counting, http)  # type: ignore[arg-type]
    first = await registry.snapshot()
    assert [p.id for p in first.products] == [p.id for p in await store.list()]
    assert await registry.snapshot() is first and counting.whole_reads == 1
    # Publishers by contract id: each link of each product, every version.
    assert [(p.id, link.version) for p, link in first.published("p-us-out")] == [
        ("p-us", "1.0.0"),
        ("p-us", "2.0.0"),
    ]
    assert first.published("nobody's") == ()

    # A change through this gateway's registry: read again at once.
    site.products["new"] = FakeProduct(descriptor(slug="other-precipitation"))
    added = await registry.register(f"{base_url}/p/new")
    second = await registry.snapshot()
    assert added.id in {p.id for p in second.products} and counting.whole_reads == 2

    # Changes by another gateway sharing the database move the stamp.
    other = await open_registry(registry_url)
    try:
        await other.remove("p-fr")
        third = await registry.snapshot()
        assert "p-fr" not in {p.id for p in third.products} and counting.whole_reads == 3
        later = T0 + timedelta(days=400)
        renamed = dataclasses.replace(MESH[0], name="Renamed", updated_at=later)
        await other.upsert(renamed)
        fourth = await registry.snapshot()
        assert next(p for p in fourth.products if p.id == "p-us").name == "Renamed"
        assert counting.whole_reads == 4
        assert await registry.snapshot() is fourth and counting.whole_reads == 4
    finally:
        await other.close()
