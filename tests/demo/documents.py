"""The demo products as written: descriptors, contracts (loaded and as raw YAML)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from contracts import ContractDocument, ProductDescriptor, load_contract, load_descriptor

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = ROOT / "demo" / "products"
NO_ENV: dict[str, str] = {}  # placeholders take their defaults, whatever the machine has set


@dataclass(frozen=True)
class Contract:
    """One contract file: the validated document and the YAML as written."""

    path: Path
    doc: ContractDocument
    written: dict[str, Any]  # yaml.safe_load of the file: unquoted dates are dates here

    @property
    def raw(self) -> dict[str, Any]:
        return self.doc.raw

    @property
    def label(self) -> str:
        return f"{self.path.parent.parent.name}/{self.path.name}"


@dataclass(frozen=True)
class Product:
    """One product folder."""

    folder: Path
    descriptor: ProductDescriptor
    contracts: dict[tuple[str, str], Contract]

    @property
    def key(self) -> str:
        return f"{self.descriptor.domain}.{self.descriptor.slug}"

    def outputs(self) -> list[Contract]:
        refs = dict.fromkeys(r for v in self.descriptor.versions for r in v.outputs)
        return [self.contracts[(r.contract_id, r.version)] for r in refs]


@functools.cache
def products() -> dict[str, Product]:
    """Every demo product by folder name."""
    found = {}
    for folder in sorted(p.parent for p in PRODUCTS.glob("*/product.yaml")):
        contracts = {}
        for path in sorted((folder / "contracts").glob("*.yaml")):
            doc = load_contract(path, env=NO_ENV)
            written = yaml.safe_load(path.read_text(encoding="utf-8"))
            contracts[(doc.id, doc.version)] = Contract(path, doc, written)
        found[folder.name] = Product(folder, load_descriptor(folder / "product.yaml"), contracts)
    return found


def all_contracts() -> list[Contract]:
    """Every contract file of every product."""
    return [c for p in products().values() for c in p.contracts.values()]


def team_members(contract: dict[str, Any]) -> list[dict[str, Any]]:
    """``team`` as a list of members, whether written as v3.1's object or v3.0's list."""
    team = contract.get("team") or []
    members = team.get("members", []) if isinstance(team, dict) else team
    return list(members)


def quality_rules(contract: dict[str, Any]) -> list[tuple[str, str | None, dict[str, Any]]]:
    """Every quality rule as (table, column or None, rule)."""
    rules = []
    for obj in contract.get("schema", []):
        rules += [(obj["name"], None, q) for q in obj.get("quality", [])]
        for prop in obj.get("properties", []):
            rules += [(obj["name"], prop["name"], q) for q in prop.get("quality", [])]
    return rules
