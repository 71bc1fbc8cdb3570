"""Usage: every federated SQL query recorded, and each product's figures computed from them.

The store keeps one row per query (answered or refused: the audit trail) and one row per
table it read; :func:`product_usage` answers the graph's ``Product.usage``. It lives in
the registry's database (SQLite or PostgreSQL), in tables of its own.
"""

from __future__ import annotations

from gateway.usage.aggregate import product_usage
from gateway.usage.model import (
    OK,
    ColumnUsage,
    ProductUsage,
    QueryLog,
    Reader,
    RecentQuery,
    TableRead,
    TableUsage,
    UsageTotals,
)
from gateway.usage.store import MAX_RECENT, UsageError, UsageStore, open_usage

__all__ = [
    "MAX_RECENT",
    "OK",
    "ColumnUsage",
    "ProductUsage",
    "QueryLog",
    "Reader",
    "RecentQuery",
    "TableRead",
    "TableUsage",
    "UsageError",
    "UsageStore",
    "UsageTotals",
    "open_usage",
    "product_usage",
]
