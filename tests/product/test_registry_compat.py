"""The mesh registry registers a product served by the kit, as it would in the demo."""

from __future__ import annotations

from pathlib import Path

import httpx

from gateway.registry import Registry, open_registry
from gateway.settings import Settings
from gateway.upstream import create_http_client
from tests.fixtures.uvicorn import LOOPBACK_ONLY
from tests.product.builders import CONTRACT_ID, PRODUCT_ID
from tests.product.conftest import auth


async def test_registry_accepts_the_kit_and_sees_configure(
    client: httpx.Client, tmp_path: Path
) -> None:
    base = str(client.base_url).rstrip("/")
    store = await open_registry(f"sqlite:///{tmp_path / 'registry.db'}")
    try:
        settings = Settings(upstream_allowed_networks=LOOPBACK_ONLY)
        async with create_http_client(settings) as http:
            registry = Registry(store, http)
            product = await registry.register(f"{base}/discover/metadata")
            assert (product.id, product.key) == (PRODUCT_ID, "air-quality.nyc-air-quality")
            assert product.owner_name == "Ada Lovelace"
            assert [(c.id, c.version, c.href) for c in product.contracts] == [
                (CONTRACT_ID, "1.0.0", f"{base}/discover/contracts/{CONTRACT_ID}/1.0.0")
            ]
            client.post("/control/configure", json={"tags": ["renamed"]}, headers=auth())
            refreshed = await registry.refresh(product.key)
            assert refreshed.tags == ("renamed",)
    finally:
        await store.close()
