"""The demo mesh's documents: valid, where they belong, with the ids DOMAIN.md gives."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from contracts import validate_file
from tests.demo.documents import NO_ENV, PRODUCTS, all_contracts, products, team_members

EXPECTED = {
    "us-precipitation": "precipitation",
    "france-precipitation": "precipitation",
    "global-precipitation": "precipitation",
    "city-temperatures": "temperature",
    "metropolitan-temperatures": "temperature",
    "flood-areas": "flood",
    "physical-risk": "physical-risk",
    "disclosure-reporting": "disclosure-reporting",
    "nyc-air-quality": "air-quality",
}


def files() -> list[Path]:
    return sorted(PRODUCTS.glob("*/product.yaml")) + sorted(PRODUCTS.glob("*/contracts/*"))


@pytest.mark.parametrize("path", files(), ids=lambda p: str(p.relative_to(PRODUCTS)))
def test_every_document_is_valid(path: Path) -> None:
    assert validate_file(path, env=NO_ENV) == []


def test_products_and_domains() -> None:
    found = {name: p.descriptor.domain for name, p in products().items()}
    assert found == EXPECTED
    assert len(found) >= 8 and len(set(found.values())) >= 5
    for name, product in products().items():
        assert product.descriptor.slug == name  # the folder is the product's slug


def test_ids_from_domain_md_and_unique() -> None:
    us = products()["us-precipitation"].descriptor
    assert us.id == "da6025e9-695b-4022-85ee-695fc2aa0004"
    assert [(r.contract_id, r.version) for r in us.versions[0].outputs] == [
        ("06648f07-b3d9-4eb9-a990-6065fccce778", "1.0.0")
    ]
    assert (
        products()["global-precipitation"].descriptor.id == "303dc6c6-3763-4e71-9ecb-7df268720de7"
    )
    ids = [p.descriptor.id for p in products().values()]
    assert len(ids) == len(set(ids))
    # A contract id belongs to one product (its versions live side by side in one folder).
    folders: dict[str, set[str]] = {}
    for contract in all_contracts():
        folders.setdefault(contract.doc.id, set()).add(contract.path.parent.parent.name)
    assert all(len(owners) == 1 for owners in folders.values()), folders
    assert len(folders) == len(products())  # one dataset per product, in several versions


def test_every_contract_file_is_an_output_port() -> None:
    for product in products().values():
        published = {(c.doc.id, c.doc.version) for c in product.outputs()}
        assert published == set(product.contracts), product.folder.name
        for contract in product.contracts.values():
            assert contract.raw["dataProduct"] == product.descriptor.name
            assert contract.raw["domain"] == product.descriptor.domain
            # File names say what and which version: <name>-<version>.yaml
            assert contract.path.name.endswith(f"-{contract.doc.version}.yaml")


def test_both_odcs_versions_are_shown() -> None:
    versions = {c.doc.api_version for c in all_contracts()}
    assert versions == {"v3.1.0", "v3.0.2"}
    old = [c for c in all_contracts() if c.doc.api_version == "v3.0.2"]
    assert 1 <= len(old) <= 2
    for contract in old:  # written in v3.0's own style
        assert isinstance(contract.raw["team"], list)
        assert all("rule" in q or q.get("type") == "sql" for q in _rules(contract.raw))
    for contract in all_contracts():
        if contract.doc.api_version == "v3.1.0":
            assert isinstance(contract.raw["team"], dict)
            assert all("metric" in q or q.get("type") == "sql" for q in _rules(contract.raw))


def _rules(raw: dict[str, Any]) -> list[dict[str, Any]]:
    rules = []
    for obj in raw["schema"]:
        rules += obj.get("quality", [])
        for prop in obj["properties"]:
            rules += prop.get("quality", [])
    return rules


def test_two_product_versions_side_by_side() -> None:
    product = products()["global-precipitation"]
    versions = product.descriptor.versions
    assert [v.version for v in versions] == ["1.0.0", "2.0.0"]
    # Each product version publishes the contract version of the same number.
    assert [[r.version for r in v.outputs] for v in versions] == [["1.0.0"], ["2.0.0"]]
    old, new = product.outputs()
    assert (old.raw["status"], new.raw["status"]) == ("deprecated", "active")
    old_columns = {p["name"] for p in old.raw["schema"][0]["properties"]}
    new_columns = {p["name"] for p in new.raw["schema"][0]["properties"]}
    assert new_columns - old_columns  # new columns...
    assert old_columns - new_columns  # ...and a removed key: a breaking change, hence 2.0.0
    assert old.raw["schema"][0]["name"] == new.raw["schema"][0]["name"]
    assert old.raw["schema"][0]["physicalName"] != new.raw["schema"][0]["physicalName"]


def test_some_dates_are_unquoted_and_kept_as_written() -> None:
    unquoted = 0
    for contract in all_contracts():
        for written, loaded in zip(
            team_members(contract.written), team_members(contract.raw), strict=True
        ):
            if isinstance(written.get("dateIn"), date):
                unquoted += 1
                assert loaded["dateIn"] == written["dateIn"].isoformat()
        for written, loaded in zip(
            contract.written["slaProperties"], contract.raw["slaProperties"], strict=True
        ):
            if isinstance(written["value"], date | datetime):
                unquoted += 1
                assert isinstance(loaded["value"], str)
    assert unquoted >= 10


def test_descriptor_owner_is_the_current_owner_in_the_team() -> None:
    for product in products().values():
        owner = product.descriptor.owner
        assert owner is not None and owner["email"].endswith("@climate-quantum.example")
        for contract in product.outputs():
            current = [
                m
                for m in team_members(contract.raw)
                if m["role"] == "Data product owner" and "dateOut" not in m
            ]
            assert [m["name"] for m in current] == [owner["name"]], contract.label
