"""Registering is a fetch the caller aims: it goes only where the rules allow (issue 6, hole 3).

A hostile caller registers internal addresses; a hostile product links its contracts to
another server, another product's path or out of its own path with ``..``. Each is
refused with its code and nothing is fetched (the servers count their requests).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from gateway.errors import UpstreamAddressRefused, UpstreamLinkRefused, UpstreamTimeout
from gateway.registry import Registry, RegistryStore
from gateway.settings import Settings
from gateway.upstream import create_http_client
from tests.fixtures.uvicorn import running
from tests.registry.product_site import FakeProduct, ProductSite, create_app, descriptor
from tests.upstream.test_guard import Server, serving

US_OUT = "06648f07-b3d9-4eb9-a990-6065fccce778"
CONTRACT_PATH = f"/discover/contracts/{US_OUT}/1.0.0"


@pytest.fixture
def other_site() -> Iterator[tuple[ProductSite, str]]:
    """A second product site on another port: a server the product must not lead us to."""
    site = ProductSite()
    site.products["us"] = FakeProduct(descriptor())
    with running(create_app(site), lifespan="off") as base:
        yield site, base


def linking(href: str) -> FakeProduct:
    """A product whose metadata links its output contract to ``href``."""
    link = {"id": US_OUT, "version": "1.0.0", "name": "x", "href": href}
    return FakeProduct(descriptor(), served={"contracts": [link]})


async def test_a_contract_link_to_another_server_is_refused_unfetched(
    registry: Registry, site: ProductSite, base_url: str, other_site: tuple[ProductSite, str]
) -> None:
    other, other_base = other_site
    site.products["us"] = linking(f"{other_base}/p/us{CONTRACT_PATH}")
    with pytest.raises(UpstreamLinkRefused) as raised:
        await registry.register(f"{base_url}/p/us")
    assert raised.value.code == "UPSTREAM_LINK_REFUSED"
    assert other_base not in raised.value.message
    assert other.requests == []  # the other server never heard of us
    assert await registry.count() == 0


@pytest.mark.parametrize(
    "path",
    [
        f"/p/eu{CONTRACT_PATH}",  # another product's path on the same server
        f"/p/usa{CONTRACT_PATH}",  # a sibling whose name merely starts alike
        f"/p/us/../eu{CONTRACT_PATH}",  # climbing out with dot segments
        f"/p/us/%2e%2e/eu{CONTRACT_PATH}",  # ... percent-encoded
    ],
)
async def test_a_contract_link_outside_the_products_path_is_refused(
    registry: Registry, site: ProductSite, base_url: str, path: str
) -> None:
    site.products["eu"] = FakeProduct(descriptor(id="eu", slug="eu"))
    site.products["usa"] = FakeProduct(descriptor(id="usa", slug="usa"))
    site.products["us"] = linking(f"{base_url}{path}")
    with pytest.raises(UpstreamLinkRefused):
        await registry.register(f"{base_url}/p/us")
    assert site.requests == ["/p/us/discover/metadata"]  # the metadata, nothing after it


async def test_a_contract_link_under_the_base_is_followed(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = linking(f"{base_url}/p/us{CONTRACT_PATH}")
    product = await registry.register(f"{base_url}/p/us/discover/metadata")
    assert product.base_url == f"{base_url}/p/us"
    assert site.requests == ["/p/us/discover/metadata", f"/p/us{CONTRACT_PATH}"]


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[fe80::1]/",
        "http://127.0.0.1:{port}/p/us",
        "http://localhost:{port}/p/us",
    ],
)
async def test_registering_an_internal_address_is_refused_before_connecting(
    store: RegistryStore, site: ProductSite, base_url: str, url: str
) -> None:
    """Default settings: public addresses only. The product site on 127.0.0.1 would
    answer well; it is never asked."""
    site.products["us"] = FakeProduct(descriptor())
    port = base_url.rsplit(":", 1)[1]
    started = time.monotonic()
    async with create_http_client(Settings(upstream_connect_timeout=5.0)) as http:
        with pytest.raises(UpstreamAddressRefused) as raised:
            await Registry(store, http).register(url.format(port=port))
    assert time.monotonic() - started < 1.0  # no connect timeout was waited for
    assert raised.value.code == "UPSTREAM_ADDRESS_REFUSED"
    assert site.requests == []
    assert await store.count() == 0


async def test_a_dripping_product_is_cut_at_the_registrys_deadline(store: RegistryStore) -> None:
    settings = Settings(upstream_allowed_networks="127.0.0.1/32", upstream_read_timeout=3.0)
    async with serving(Server(drip=0.2)) as server, create_http_client(settings) as http:
        registry = Registry(store, http, total_timeout=1.0)
        started = time.monotonic()
        with pytest.raises(UpstreamTimeout):
            await registry.register(f"http://127.0.0.1:{server.port}")
    assert time.monotonic() - started < 2.0
