"""The registry reads both metadata answers: the ODPS v1.0.0 one and the early one.

Product gateways other than the kit still answer with the early descriptor
(``versions[].in/out``): tests/registry/test_service.py registers those. Here the answer
carries an ODPS v1.0.0 descriptor, as the kit's does now, with hostile variants.
"""

from __future__ import annotations

import copy
from typing import Any

from gateway.errors import InvalidDescriptor
from gateway.registry import ContractRef, Registry
from tests.registry.product_site import FakeProduct, ProductSite, descriptor
from tests.registry.test_service import expect_failure

US_ID = "da6025e9-695b-4022-85ee-695fc2aa0004"
US_OUT = "06648f07-b3d9-4eb9-a990-6065fccce778"
OTHER_OUT = "1f4c6a1e-8b55-4d2e-9a0e-2f1b0c7d9e33"


def v1(**changes: Any) -> dict[str, Any]:
    """The US precipitation product in ODPS v1.0.0, with ``changes`` at the top level."""
    doc: dict[str, Any] = {
        "apiVersion": "v1.0.0",
        "kind": "DataProduct",
        "id": US_ID,
        "name": "US precipitation",
        "version": "1.0.0",
        "status": "active",
        "domain": "precipitation",
        "description": {"purpose": "Daily precipitation at NOAA stations, in inches."},
        "tags": ["precipitation", "noaa"],
        "outputPorts": [
            {"name": "daily", "version": "1.0.0", "contractId": US_OUT, "type": "tables"}
        ],
        "team": {
            "members": [{"username": "ada@climate-quantum.example", "name": "Ada", "role": "owner"}]
        },
    }
    doc.update(changes)
    return doc


async def test_the_new_and_the_old_answer_both_register(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["new"] = FakeProduct(v1())
    site.products["old"] = FakeProduct(descriptor(id="b1", slug="us-old"))
    new = await registry.register(f"{base_url}/p/new")
    old = await registry.register(f"{base_url}/p/old")
    assert (new.key, new.owner_name, new.owner_email, new.description) == (
        "precipitation.us-precipitation",
        "Ada",
        "ada@climate-quantum.example",
        "Daily precipitation at NOAA stations, in inches.",
    )
    assert [(c.id, c.version) for c in new.contracts] == [(US_OUT, "1.0.0")]
    assert (old.key, old.owner_name) == ("precipitation.us-old", "Ada Lovelace")
    assert [(c.id, c.version) for c in old.contracts] == [(US_OUT, "1.0.0")]


async def test_a_port_declared_without_its_contract_registers_without_a_link(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    ports = [*v1()["outputPorts"], {"name": "other", "version": "2.0.0", "contractId": OTHER_OUT}]
    served = FakeProduct(v1(outputPorts=ports))
    site.products["us"] = served
    # Not declared: the link is required, as before.
    href = f"{base_url}/p/us/discover/contracts/{US_OUT}/1.0.0"
    linked = {"id": US_OUT, "version": "1.0.0", "name": "daily", "href": href}
    served.served = {"contracts": [linked]}
    await expect_failure(
        registry,
        f"{base_url}/p/us",
        InvalidDescriptor,
        f"gives no http(s) link for output contract {OTHER_OUT} version 2.0.0",
    )
    # Declared as the kit does when the folder lacks the contract: no link, no table.
    served.served = {
        "contracts": [linked],
        "warnings": [
            {
                "document": "product.yaml",
                "path": "outputPorts[1].contractId",
                "message": "output contract has no file in contracts/",
                "code": "output_contract_missing",
            }
        ],
    }
    product = await registry.register(f"{base_url}/p/us")
    assert [(c.id, c.version) for c in product.contracts] == [(US_OUT, "1.0.0")]
    assert product.versions[0].outputs == (
        ContractRef(US_OUT, "1.0.0"),
        ContractRef(OTHER_OUT, "2.0.0"),
    )


async def test_url_fields_are_data_never_fetched(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    canary = f"{base_url}/canary"
    doc = v1(
        support=[
            {"channel": "#us", "url": f"{canary}/support", "invitationUrl": f"{canary}/invite"}
        ],
        authoritativeDefinitions=[{"type": "businessDefinition", "url": f"{canary}/definition"}],
        managementPorts=[{"name": "obs", "content": "observability", "url": f"{canary}/obs"}],
    )
    doc["outputPorts"][0]["sbom"] = [{"url": f"{canary}/sbom"}]
    site.products["us"] = FakeProduct(doc)
    product = await registry.register(f"{base_url}/p/us")
    await registry.refresh(product.key)
    assert site.requests and not [path for path in site.requests if "canary" in path]


async def test_an_unknown_api_version_names_the_known_ones(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    site.products["us"] = FakeProduct(v1(apiVersion="v2.0.0"))
    error = await expect_failure(
        registry, f"{base_url}/p/us", InvalidDescriptor, "unknown ODPS apiVersion 'v2.0.0'"
    )
    (issue,) = error.details["issues"]
    assert "v0.9.0" in issue["expected"] and "v1.0.0" in issue["expected"]


async def test_thousands_of_ports_are_refused_before_any_schema_work(
    registry: Registry, site: ProductSite, base_url: str
) -> None:
    port = {"name": "p", "version": "1.0.0", "contractId": US_OUT}
    ports = [{**copy.deepcopy(port), "name": f"p{i}"} for i in range(1001)]
    site.products["us"] = FakeProduct(v1(outputPorts=ports))
    error = await expect_failure(
        registry, f"{base_url}/p/us", InvalidDescriptor, "outputPorts: lists 1001 items"
    )
    assert error.code == "INVALID_DESCRIPTOR"
