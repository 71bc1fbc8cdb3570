"""Product folders for the certification tests, built from tests/product/builders.py:
each with its own id, contract id and name, so several run in one mesh."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.product.builders import CONTRACT, DESCRIPTOR_V1, ROWS, build_product, variant

DOMAIN = "certtest"
#: The builders' rows less the one that breaks its range rule: every result passes.
GOOD_ROWS = [r for r in ROWS if r["data_value"] < 500]


def documents(n: int, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A descriptor and its contract, ids and name numbered ``n``."""
    descriptor, contract = variant(DESCRIPTOR_V1), variant(CONTRACT)
    pid = f"0b7d1f0e-9a52-4c39-8d44-3f2c51a7e{n:03d}"
    cid = f"5a9c2b17-6f0e-4d8a-b1c3-77e2d4f0a{n:03d}"
    descriptor.update(id=pid, name=name, domain=DOMAIN)
    descriptor["outputPorts"][0]["contractId"] = cid
    contract.update(id=cid, domain=DOMAIN)
    return descriptor, contract


def build(root: Path, descriptor: dict[str, Any], contract: dict[str, Any]) -> Path:
    root.mkdir(parents=True)
    folder = build_product(root, rows=GOOD_ROWS, descriptor=descriptor, contract=contract)
    # The mesh fixture keys products by folder name: each gets its own.
    return folder.rename(root / f"product-{descriptor['id'][-3:]}")


def claimer(root: Path) -> Path:
    """Meets every policy of the kit (its own /certify says OK) but not the mesh's: no
    authoritative definition on its key column, no lineage declared."""
    descriptor, contract = documents(101, "Self certified")
    return build(root, descriptor, contract)


def bare(root: Path) -> Path:
    """No team, no support channel, and two columns without a description."""
    descriptor, contract = documents(102, "Bare product")
    del descriptor["team"], descriptor["support"]
    props = contract["schema"][0]["properties"]
    for prop in props:
        if prop["name"] in ("name", "borough"):
            del prop["description"]
    return build(root, descriptor, contract)


def wide(root: Path, columns: int) -> Path:
    """A hostile product: one table of ``columns`` undescribed columns."""
    descriptor, contract = documents(103, "Very wide")
    obj = contract["schema"][0]
    obj["properties"] = [
        {"name": f"c{i}", "logicalType": "string", "primaryKey": i == 0} for i in range(columns)
    ]
    obj["quality"] = []
    return build(root, descriptor, contract)
