"""Audit: every data access and every registry change, who did it and how it ended.

Events live in the registry's database (SQLite or PostgreSQL), in tables of their own;
:class:`AuditLog` writes them (from the federation and the registry), lists a product's
events for its owner, and purges those past the retention.
"""

from __future__ import annotations

from gateway.audit.log import AuditLog
from gateway.audit.model import (
    ACTIONS,
    DETAIL_LIMIT,
    OK,
    PRODUCT_CONTROL,
    REGISTRY_REFRESH,
    REGISTRY_REGISTER,
    REGISTRY_UNREGISTER,
    SQL_EXPLAIN,
    SQL_QUERY,
    SQL_STREAM,
    Actor,
    AuditEvent,
    AuditProduct,
    AuditTable,
    event_of_query,
)
from gateway.audit.store import (
    MAX_PAGE,
    AuditError,
    AuditPage,
    AuditStore,
    encode_cursor,
    open_audit_store,
)

__all__ = [
    "ACTIONS",
    "DETAIL_LIMIT",
    "MAX_PAGE",
    "OK",
    "PRODUCT_CONTROL",
    "REGISTRY_REFRESH",
    "REGISTRY_REGISTER",
    "REGISTRY_UNREGISTER",
    "SQL_EXPLAIN",
    "SQL_QUERY",
    "SQL_STREAM",
    "Actor",
    "AuditError",
    "AuditEvent",
    "AuditLog",
    "AuditPage",
    "AuditProduct",
    "AuditStore",
    "AuditTable",
    "encode_cursor",
    "event_of_query",
    "open_audit_store",
]
