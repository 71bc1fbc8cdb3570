"""A small mesh of real product kits for the lineage tests, each product in its own folder.

The book's scenario (shared/DOMAIN.md): a source outside the mesh feeds product D, D feeds
E, E feeds F. Besides: X and Y consume each other (a cycle), and H, a hostile product
registered last, consumes D and claims to publish E's contract too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.product.builders import CONTRACT, DESCRIPTOR_V1, ROWS, TABLE, variant, write_parquet

DOMAIN = "chain"
SOURCE_CONTRACT = "0c0c0c0c-0000-4000-8000-00000000000s".replace("s", "0")


def pid(slug: str) -> str:
    """The product id of ``slug`` (a UUID made of its letters)."""
    return f"1d1d1d1d-0000-4000-8000-{slug.encode().hex().rjust(12, '0')[:12]}"


def cid(slug: str) -> str:
    """The id of the contract ``slug`` publishes."""
    return f"2c2c2c2c-0000-4000-8000-{slug.encode().hex().rjust(12, '0')[:12]}"


def column(slug: str, name: str = "data_value") -> str:
    return f"column:{DOMAIN}.{slug}.{TABLE}.{name}"


def table(slug: str) -> str:
    return f"table:{DOMAIN}.{slug}.{TABLE}"


def owner(slug: str) -> str:
    return f"owner-{slug}@climate-quantum.example"


def descriptor(slug: str, inputs: list[str], outputs: list[str]) -> dict[str, Any]:
    doc = variant(DESCRIPTOR_V1)
    doc.update(id=pid(slug), name=f"Product {slug.upper()}", domain=DOMAIN)
    doc["customProperties"] = [{"property": "slug", "value": slug}]
    doc["inputPorts"] = [
        {"name": f"in-{i}", "version": "1.0.0", "contractId": c} for i, c in enumerate(inputs)
    ]
    doc["outputPorts"] = [
        {"name": f"out-{i}", "description": "Measures", "type": "tables", "version": "1.0.0",
         "contractId": c}
        for i, c in enumerate(outputs)
    ]  # fmt: skip
    doc["support"] = [
        {"channel": f"#{slug}", "url": f"https://example.org/slack/{slug}", "tool": "slack",
         "scope": "issues"}
    ]  # fmt: skip
    doc["team"] = {
        "name": f"Team {slug}",
        "members": [
            {"username": owner(slug), "name": f"Owner of {slug}", "role": "owner"},
            {"username": f"dev-{slug}@climate-quantum.example", "role": "developer"},
        ],
    }
    return doc


def contract(
    slug: str, derives_from: list[str] | None = None, of: str | None = None
) -> dict[str, Any]:
    """The contract ``slug`` publishes (or a copy of ``of``'s); its ``data_value`` column
    derives from the columns named in ``derives_from`` (``domain.product.table.column``)."""
    doc = variant(CONTRACT)
    doc.update(id=cid(of or slug), name=f"Contract of {of or slug}", domain=DOMAIN)
    if derives_from:
        value = doc["schema"][0]["properties"][2]
        assert value["name"] == "data_value"
        value["transformSourceObjects"] = derives_from
        value["transformLogic"] = "avg(data_value)"
        value["transformDescription"] = "Averaged."
    return doc


def write_product(
    root: Path, slug: str, inputs: list[str], outputs: list[str], contracts: list[dict[str, Any]]
) -> Path:
    folder = root / slug
    (folder / "contracts").mkdir(parents=True)
    data = root / f"{slug}-data"
    write_parquet(data / "air_quality.parquet", ROWS)
    text = yaml.safe_dump(descriptor(slug, inputs, outputs), sort_keys=False)
    (folder / "product.yaml").write_text(text)
    for i, doc in enumerate(contracts):
        body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        (folder / "contracts" / f"contract-{i}.yaml").write_text(body)
    (folder / "product.env").write_text(f"DATA_DIR={data}\n")
    return folder


def chain_products(root: Path) -> list[Path]:
    """The folders, in the order they register (H last)."""
    d_col = column("d").removeprefix("column:")
    e_col = column("e").removeprefix("column:")
    return [
        write_product(root, "d", [SOURCE_CONTRACT], [cid("d")], [contract("d")]),
        write_product(root, "e", [cid("d")], [cid("e")], [contract("e", [d_col])]),
        write_product(root, "f", [cid("e")], [cid("f")], [contract("f", [e_col])]),
        write_product(root, "x", [cid("y")], [cid("x")], [contract("x")]),
        write_product(root, "y", [cid("x")], [cid("y")], [contract("y")]),
        # H consumes D (its own claim, allowed), and claims to publish E's contract (a
        # copy it serves) and that E's column derives from its own (not its to say).
        write_product(
            root, "h", [cid("d")], [cid("h"), cid("e")],
            [contract("h"), contract("e", [column("h").removeprefix("column:")], of="e")],
        ),
    ]  # fmt: skip
