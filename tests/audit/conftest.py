"""Fixtures of the audit tests: each store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from gateway.audit import Actor, AuditEvent, AuditProduct, AuditStore, AuditTable, open_audit_store
from tests.audit.mesh import gateway, products

__all__ = ["gateway", "products"]  # fixtures of the real mesh, for every audit test

ANALYST = Actor("ana", "user", ("analyst",))


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)],
)
def audit_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'run' / 'registry.db'}"
    dsn: str = request.getfixturevalue("fresh_postgres_dsn")
    return dsn


@pytest.fixture
async def store(audit_url: str) -> AsyncIterator[AuditStore]:
    opened = await open_audit_store(audit_url)
    yield opened
    await opened.close()


def event(
    at: datetime,
    *products: str,
    action: str = "sql.query",
    outcome: str = "ok",
    rows: int = 0,
    actor: Actor = ANALYST,
    detail: str = "SELECT 1",
) -> AuditEvent:
    """An event about ``products`` (ids), each with one table of two columns."""
    return AuditEvent(
        at=at,
        action=action,
        outcome=outcome,
        actor=actor,
        request_id=f"req-{at.timestamp():.0f}",
        address="10.0.0.9",
        products=tuple(AuditProduct(p, f"dom.{p}") for p in products),
        tables=tuple(AuditTable(p, f"dom.{p}.t", ("a", "b"), ("b",)) for p in products),
        rows=rows,
        detail=detail,
    )
