"""Where a product's data lives: files (DuckDB), PostgreSQL, MySQL / MariaDB."""

from __future__ import annotations

from productkit.stores.base import SqlStore, Store, TableStats
from productkit.stores.factory import StoreSet, choose_server, open_stores
from productkit.stores.files import FileLocation, FileStore
from productkit.stores.mysql import MySQLStore
from productkit.stores.postgres import PostgresStore

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
