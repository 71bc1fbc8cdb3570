"""What the demo products publish, read from their folders: tables, columns and servers.

The loaders use it to know which schema or database each table goes to and with which
columns; tests use it to hold the data to the contracts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts import ContractDocument, ProductDescriptor, load_contract, load_descriptor

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = ROOT / "demo" / "products"
DATA_PREFIX = "demo/data/"  # contracts' local paths start here; --out replaces it


@dataclass(frozen=True)
class Column:
    """A contract property as a column of a database table."""

    name: str  # the physical name, as in files and databases
    logical_type: str
    physical_type: str
    required: bool
    key_position: int | None  # 1-based position in the primary key, None if not a key


@dataclass(frozen=True)
class PublishedTable:
    """One schema object of one output contract of one product."""

    product: ProductDescriptor
    contract: ContractDocument
    name: str
    physical_name: str
    columns: tuple[Column, ...]
    servers: Mapping[str, Mapping[str, Any]]  # by server type (first of each type)

    @property
    def key(self) -> tuple[str, ...]:
        """The primary key's columns, in key order."""
        keyed = [c for c in self.columns if c.key_position is not None]
        return tuple(c.name for c in sorted(keyed, key=lambda c: c.key_position or 0))

    def local_file(self, out: Path) -> Path:
        """The table's file on the ``local`` server, with ``demo/data/`` replaced by ``out``."""
        server = self.servers["local"]
        raw = str(server["path"]).replace("{table}", self.physical_name)
        if raw.startswith(DATA_PREFIX):
            return out / raw[len(DATA_PREFIX) :]
        return ROOT / raw


def product_folders() -> list[Path]:
    """Every demo product folder, sorted."""
    return sorted(p.parent for p in PRODUCTS.glob("*/product.yaml"))


def published_tables(env: Mapping[str, str] | None = None) -> list[PublishedTable]:
    """Every table every demo product publishes (all versions), in folder order.

    ``env`` fills the servers' placeholders (default: the process environment).
    """
    found: list[PublishedTable] = []
    for folder in product_folders():
        product = load_descriptor(folder / "product.yaml")
        contracts = {}
        for path in sorted((folder / "contracts").glob("*.yaml")):
            doc = load_contract(path, env=env)
            contracts[(doc.id, doc.version)] = doc
        refs = dict.fromkeys(ref for v in product.versions for ref in v.outputs)
        for ref in refs:
            contract = contracts[(ref.contract_id, ref.version)]
            servers: dict[str, Mapping[str, Any]] = {}
            for server in contract.raw.get("servers", []):
                servers.setdefault(str(server["type"]), server)
            for obj in contract.raw.get("schema", []):
                found.append(
                    PublishedTable(
                        product=product,
                        contract=contract,
                        name=obj["name"],
                        physical_name=obj.get("physicalName") or obj["name"],
                        columns=tuple(_column(p) for p in obj.get("properties", [])),
                        servers=servers,
                    )
                )
    return found


def _column(prop: Mapping[str, Any]) -> Column:
    position = None
    if prop.get("primaryKey") is True:
        position = int(prop.get("primaryKeyPosition") or 1)
    return Column(
        name=str(prop.get("physicalName") or prop["name"]),
        logical_type=str(prop.get("logicalType", "string")),
        physical_type=str(prop.get("physicalType", "")).lower(),
        required=prop.get("required") is True,
        key_position=position,
    )
