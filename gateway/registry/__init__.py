"""The mesh registry: the phone book of data products.

It stores, for each registered product, the link to its discovery endpoint and a short
summary (identity, owner, tags, versions with their contract references, links to its
contracts), never a copy of the contracts. SQLite by default, PostgreSQL when
``MESHGATE_REGISTRY_URL`` says so.
"""

from __future__ import annotations

from gateway.registry.model import ContractLink, ContractRef, RegisteredProduct, VersionSummary
from gateway.registry.postgres import PostgresRegistryStore
from gateway.registry.service import Registry
from gateway.registry.sqlite import SqliteRegistryStore
from gateway.registry.store import RegistryStore, open_registry, parse_registry_url
from gateway.registry.urls import ProductUrls, normalise_product_url
from gateway.registry.versions import ContractsChanged, VersionFlag

__all__ = [
    "ContractLink",
    "ContractRef",
    "ContractsChanged",
    "PostgresRegistryStore",
    "ProductUrls",
    "RegisteredProduct",
    "Registry",
    "RegistryStore",
    "SqliteRegistryStore",
    "VersionFlag",
    "VersionSummary",
    "normalise_product_url",
    "open_registry",
    "parse_registry_url",
]
