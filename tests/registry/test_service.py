"""Registering real (double) product gateways under uvicorn, on both store backends."""

from __future__ import annotations

import pytest

from gateway.errors import (
    BadRequest,
    ContractNotFound,
    GatewayError,
    InvalidDescriptor,
    ProductNotFound,
    RegistryError,
    UpstreamBadResponse,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.registry import ContractLink, ContractRef, Registry, RegistryStore, VersionSummary
from gateway.settings import Settings
from gateway.upstream import create_http_client
from tests.fixtures.uvicorn import LOOPBACK_ONLY
from tests.registry import dbtools
from tests.registry.product_site import (
    CONTRACT_MARKER,
    FakeProduct,
    ProductSite,
    closed_port_url,
    descriptor,
)

US_ID = "da6025e9-695b-4022-85ee-695fc2aa0004"
US_OUT = "06648f07-b3d9-4eb9-a990-6065fccce778"
GLOBAL_ID = "303dc6c6-3763-4e71-9ecb-7df268720de7"


async def test_register_stores_links_and_summary(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor())
    product = await registry.register(f"{base_url}/p/us")

    assert (product.id, product.key, product.name) == (
        US_ID,
        "precipitation.us-precipitation",
        "US precipitation",
    )
    assert (product.owner_name, product.owner_email) == (
        "Ada Lovelace",
        "ada@climate-quantum.example",
    )
    assert product.tags == ("precipitation", "noaa", "source-aligned")
    assert product.status == "active"
    assert product.url == f"{base_url}/p/us/discover/metadata"
    assert product.base_url == f"{base_url}/p/us"
    assert product.versions == (VersionSummary("1.0.0", (), (ContractRef(US_OUT, "1.0.0"),)),)
    assert product.contracts == (
        ContractLink(
            US_OUT,
            "1.0.0",
            "US precipitation 1.0.0",
            f"{base_url}/p/us/discover/contracts/{US_OUT}/1.0.0",
        ),
    )
    assert product.registered_at == product.updated_at
    assert product.registered_at.utcoffset() is not None
    # The registry really fetched the metadata and followed the contract link.
    assert site.requests == [
        "/p/us/discover/metadata",
        f"/p/us/discover/contracts/{US_OUT}/1.0.0",
    ]
    assert await registry.get(product.key) == product
    assert await registry.get(US_ID) == product


@pytest.mark.parametrize("suffix", ["/", "/discover/metadata", "/discover/metadata/"])
async def test_the_base_or_the_metadata_url_is_the_same_link(
    registry: Registry, site: ProductSite, base_url: str, suffix: str
) -> None:
    site.products["us"] = FakeProduct(descriptor())
    product = await registry.register(f"  {base_url.upper().replace('HTTP', 'http')}/p/us{suffix} ")
    assert product.url == f"{base_url}/p/us/discover/metadata"


async def test_registering_again_updates(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor())
    first = await registry.register(f"{base_url}/p/us")
    site.products["us"] = FakeProduct(
        descriptor(
            description="Now in millimetres.", outputs=((US_OUT, "1.0.0"), (US_OUT, "1.1.0"))
        )
    )
    second = await registry.register(f"{base_url}/p/us/discover/metadata")
    assert second.description == "Now in millimetres."
    assert [c.version for c in second.contracts] == ["1.0.0", "1.1.0"]
    assert second.registered_at == first.registered_at
    assert second.updated_at > first.updated_at
    assert await registry.count() == 1


async def test_served_description_and_tags_win_over_the_descriptor(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    # What `POST /control/configure` changes on a running product gateway.
    site.products["us"] = FakeProduct(
        descriptor(), served={"description": "Configured.", "tags": ["rain"]}
    )
    product = await registry.register(f"{base_url}/p/us")
    assert (product.description, product.tags) == ("Configured.", ("rain",))


async def test_refresh_refetches_from_the_stored_url(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor())
    first = await registry.register(f"{base_url}/p/us")
    site.products["us"].served = {"tags": ["rain", "usa"]}
    refreshed = await registry.refresh("precipitation.us-precipitation")
    assert refreshed.tags == ("rain", "usa")
    assert refreshed.registered_at == first.registered_at
    assert await registry.get(US_ID) == refreshed
    with pytest.raises(ProductNotFound, match="'precipitation.nope'"):
        await registry.refresh("precipitation.nope")


async def test_refresh_refuses_a_url_that_now_serves_another_product(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor())
    await registry.register(f"{base_url}/p/us")
    site.products["us"] = FakeProduct(descriptor(id=GLOBAL_ID, slug="global"))
    with pytest.raises(RegistryError) as caught:
        await registry.refresh(US_ID)
    assert GLOBAL_ID in caught.value.message and US_ID in caught.value.message
    assert (await registry.require(US_ID)).slug == "us-precipitation"


async def test_unregister(registry: Registry, site: ProductSite, base_url: str) -> None:
    site.products["us"] = FakeProduct(descriptor())
    registered = await registry.register(f"{base_url}/p/us")
    assert await registry.unregister("precipitation.us-precipitation") == registered
    assert await registry.get(US_ID) is None
    with pytest.raises(ProductNotFound) as caught:
        await registry.unregister(US_ID)
    assert caught.value.code == "PRODUCT_NOT_FOUND"


async def test_list_count_and_domains_pass_through(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor())
    site.products["global"] = FakeProduct(
        descriptor(
            id=GLOBAL_ID,
            name="Global precipitation",
            slug=None,
            tags=("consumer",),
            inputs=((US_OUT, "1.0.0"),),
            outputs=(("global-out", "1.0.0"),),
        )
    )
    site.products["city"] = FakeProduct(
        descriptor(
            id="city",
            name="City temperatures",
            domain="temperature",
            slug=None,
            outputs=(("city-out", "2.0.0"),),
        )
    )
    for name in ("us", "global", "city"):
        await registry.register(f"{base_url}/p/{name}")
    listed = await registry.list(domain="precipitation")
    assert [p.key for p in listed] == [
        "precipitation.global-precipitation",  # slug defaulted from the name
        "precipitation.us-precipitation",
    ]
    assert listed[0].versions[0].inputs == (ContractRef(US_OUT, "1.0.0"),)
    assert await registry.count(tag="consumer") == 1
    assert [p.id for p in await registry.list(text="temperat", limit=5)] == ["city"]
    assert await registry.domains() == [("precipitation", 2), ("temperature", 1)]


async def test_another_product_cannot_take_a_key(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor())
    site.products["twin"] = FakeProduct(descriptor(id="twin-id"))
    await registry.register(f"{base_url}/p/us")
    with pytest.raises(RegistryError) as caught:
        await registry.register(f"{base_url}/p/twin")
    assert US_ID in caught.value.message and "twin-id" in caught.value.message


async def test_no_contract_content_is_stored(
    registry: Registry, site: ProductSite, base_url: str, registry_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor())
    await registry.register(f"{base_url}/p/us")
    stored = dbtools.dump(registry_url, skip=("search_",))
    # The served contract was read (its link checked) but only its link was kept...
    assert f"{base_url}/p/us/discover/contracts/{US_OUT}/1.0.0" in stored
    assert CONTRACT_MARKER not in stored
    assert "DataContract" not in stored
    # ...except the words search finds it by (issue 10: search reads an index in the
    # registry's database, no longer the contracts themselves): the search tables hold the
    # column's description, never the document (its kind, servers, quality rules...).
    indexed = dbtools.dump(registry_url, only=("search_places",))
    assert CONTRACT_MARKER in indexed and "DataContract" not in indexed


# --- what each failure looks like -------------------------------------------------------


async def expect_failure(
    registry: Registry, url: str, kind: type[GatewayError], *fragments: str
) -> GatewayError:
    """Register ``url``, expect ``kind`` with each fragment in its message, and no row."""
    with pytest.raises(kind) as caught:
        await registry.register(url)
    error = caught.value
    assert isinstance(error, kind), error
    for fragment in fragments:
        assert fragment in error.message, (fragment, error.message)
    assert await registry.count() == 0
    return error


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://127.0.0.1/p", "'ftp://127.0.0.1/p' is not a product URL"),
        ("not a url", "is not a product URL"),
        ("", "is not a product URL"),
        ("http:///discover/metadata", "is not a product URL"),
        ("http://127.0.0.1:notaport/", "is not a valid URL"),
        ("http://ada:secret@127.0.0.1/", "carries credentials"),
        ("http://127.0.0.1/p?x=1", "has a query or fragment"),
        ("http://127.0.0.1/p#top", "has a query or fragment"),
    ],
)
async def test_urls_that_are_not_product_gateways(
    registry: Registry, url: str, fragment: str
) -> None:
    error = await expect_failure(registry, url, BadRequest, fragment, "expected the http(s) URL")
    assert error.code == "BAD_REQUEST"


async def test_invalid_descriptor_lists_its_issues(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    bad = descriptor()
    del bad["domain"]
    bad["status"] = "shiny"
    site.products["bad"] = FakeProduct(bad)
    error = await expect_failure(
        registry, f"{base_url}/p/bad", InvalidDescriptor, "the product's descriptor is invalid"
    )
    assert "domain" in error.message and "status" in error.message
    assert error.code == "INVALID_DESCRIPTOR"
    paths = {issue["path"] for issue in error.details["issues"]}
    assert "status" in paths
    assert len(error.details["issues"]) >= 2


async def test_metadata_without_a_descriptor(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["bare"] = FakeProduct(descriptor(), dropped=("descriptor",))
    await expect_failure(registry, f"{base_url}/p/bare", InvalidDescriptor, "has no 'descriptor'")


async def test_metadata_whose_descriptor_is_not_an_object(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["odd"] = FakeProduct(descriptor(), served={"descriptor": [1, 2]})
    await expect_failure(
        registry, f"{base_url}/p/odd", InvalidDescriptor, "a 'descriptor' that is not an object"
    )


async def test_metadata_whose_id_differs_from_its_descriptor(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor(), served={"id": "someone-else"})
    await expect_failure(
        registry, f"{base_url}/p/us", InvalidDescriptor, "'someone-else'", repr(US_ID)
    )


# An error status, a body that is not JSON or too big, and a refused connection read the
# same, with the same code: registering must not tell which ports of a host are open.
NO_DOCUMENT = "product gateway did not answer with its document"


@pytest.mark.parametrize("path", ["/fails", "/p/none", "/text", "/huge"])
async def test_answers_that_are_not_the_document_read_alike(
    registry: Registry, base_url: str, path: str
) -> None:
    error = await expect_failure(registry, f"{base_url}{path}", UpstreamUnavailable)
    assert error.message == NO_DOCUMENT
    assert error.extensions == {"code": "UPSTREAM_UNAVAILABLE"}


async def test_json_that_is_not_an_object(registry: Registry, base_url: str) -> None:
    await expect_failure(
        registry,
        f"{base_url}/array",
        UpstreamBadResponse,
        "the product's metadata is JSON list, expected an object",
    )


async def test_a_slow_product_times_out(store: RegistryStore, base_url: str) -> None:
    settings = Settings(upstream_read_timeout=0.2, upstream_allowed_networks=LOOPBACK_ONLY)
    async with create_http_client(settings) as quick:
        registry = Registry(store, quick)
        error = await expect_failure(registry, f"{base_url}/slow", UpstreamTimeout)
    assert error.message == "product gateway did not answer in time"
    assert error.extensions == {"code": "UPSTREAM_TIMEOUT"}


async def test_a_closed_port_is_unavailable(registry: Registry) -> None:
    url = closed_port_url()
    error = await expect_failure(registry, url, UpstreamUnavailable)
    assert error.message == NO_DOCUMENT
    assert error.extensions == {"code": "UPSTREAM_UNAVAILABLE"}


async def test_an_output_contract_without_a_link(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor(), served={"contracts": []})
    await expect_failure(
        registry,
        f"{base_url}/p/us",
        InvalidDescriptor,
        f"gives no http(s) link for output contract {US_OUT} version 1.0.0",
    )


async def test_a_contract_link_that_is_not_http(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    link = {"id": US_OUT, "version": "1.0.0", "name": "x", "href": "file:///etc/passwd"}
    site.products["us"] = FakeProduct(descriptor(), served={"contracts": [link]})
    await expect_failure(registry, f"{base_url}/p/us", InvalidDescriptor, "no http(s) link")


async def test_a_relative_contract_link_is_resolved(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    link = {
        "id": US_OUT,
        "version": "1.0.0",
        "name": "x",
        "href": f"../discover/contracts/{US_OUT}/1.0.0",
    }
    site.products["us"] = FakeProduct(descriptor(), served={"contracts": [link]})
    product = await registry.register(f"{base_url}/p/us")
    assert product.contracts[0].href == f"{base_url}/p/us/discover/contracts/{US_OUT}/1.0.0"


async def test_a_contract_link_that_answers_404(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor(), contract_status=404)
    error = await expect_failure(
        registry,
        f"{base_url}/p/us",
        ContractNotFound,
        f"output contract {US_OUT} version 1.0.0 is not served where the product's "
        "metadata links it (HTTP 404)",
    )
    assert base_url not in error.message
    assert error.product_id == US_ID


async def test_a_contract_link_that_fails(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor(), contract_status=503)
    await expect_failure(
        registry,
        f"{base_url}/p/us",
        UpstreamUnavailable,
        f"output contract {US_OUT} version 1.0.0 did not answer with its document",
    )


async def test_a_contract_link_that_serves_another_contract(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(descriptor(), contract_served_as=("other", "9.9.9"))
    await expect_failure(
        registry, f"{base_url}/p/us", InvalidDescriptor, "serves contract other version 9.9.9"
    )
