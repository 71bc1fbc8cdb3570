"""Fixtures of the registry tests: each store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from gateway.registry import Registry, RegistryStore, open_registry
from gateway.settings import Settings
from gateway.upstream import create_http_client
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.registry.product_site import ProductSite, create_app


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)],
)
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty registry: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'run' / 'registry.db'}"
    dsn: str = request.getfixturevalue("fresh_postgres_dsn")
    return dsn


@pytest.fixture
async def store(registry_url: str) -> AsyncIterator[RegistryStore]:
    opened = await open_registry(registry_url)
    yield opened
    await opened.close()


@pytest.fixture(scope="module")
def site_server() -> Iterator[tuple[ProductSite, str]]:
    """One product-gateway double under uvicorn for the whole module."""
    site = ProductSite()
    with running(create_app(site), lifespan="off") as base_url:
        yield site, base_url


@pytest.fixture
def site(site_server: tuple[ProductSite, str]) -> ProductSite:
    """The double, emptied of products; add some with ``site.products[name] = ...``."""
    site_server[0].reset()
    return site_server[0]


@pytest.fixture
def base_url(site_server: tuple[ProductSite, str]) -> str:
    return site_server[1]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """The gateway's own client, allowed to call 127.0.0.1 (where the double runs)."""
    settings = Settings(upstream_allowed_networks=LOOPBACK_ONLY, upstream_read_timeout=5.0)
    async with create_http_client(settings) as client:
        yield client


@pytest.fixture
def registry(store: RegistryStore, http: httpx.AsyncClient) -> Registry:
    return Registry(store, http)
