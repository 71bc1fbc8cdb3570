"""Where a product's data lives: files (DuckDB), PostgreSQL, MySQL / MariaDB."""

from __future__ import annotations

from gateway.product.stores.base import SqlStore, Store, TableStats
from gateway.product.stores.factory import StoreSet, choose_server, open_stores
from gateway.product.stores.files import FileLocation, FileStore
from gateway.product.stores.mysql import MySQLStore
from gateway.product.stores.postgres import PostgresStore

__all__ = [
    "FileLocation",
    "FileStore",
    "MySQLStore",
    "PostgresStore",
    "SqlStore",
    "Store",
    "StoreSet",
    "TableStats",
    "choose_server",
    "open_stores",
]
