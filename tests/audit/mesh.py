"""A small real mesh for the audit tests: two demo product gateways under uvicorn, and
the gateway's services opened in the test's own event loop (SQLite in a temp folder), so
a test can act as any principal on the federation, the registry and the graph."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from gateway.identity import PRINCIPAL_KEY, REQUEST_ID_KEY, Principal
from gateway.services import Services, close_services, open_services
from gateway.settings import Settings
from productkit.http.app import create_product_app
from resolvers.context import new_context
from schema.build import build_schema
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import ROOT, demo_product_dirs

NAMES = ("physical-risk", "flood-areas")
RISK_KEY = "physical-risk.physical-risk"
FLOOD_KEY = "flood.flood-areas"

ADMIN = Principal("root", roles=frozenset({"admin"}))
RISK_OWNER = Principal("olga", roles=frozenset({"owner:physical-risk", "analyst"}))
FLOOD_OWNER = Principal("fred", roles=frozenset({"owner:flood"}))
ANALYST = Principal("ana", roles=frozenset({"analyst"}))  # reads both, restricted masked
RISK_ANALYST = Principal("rita", roles=frozenset({"analyst", "risk_analyst"}))  # in clear
INTERN = Principal("ivan", roles=frozenset({"intern"}))  # granted by no contract
ANONYMOUS = Principal("anonymous", kind="anonymous")

JOIN = """SELECT a.company_name, f.flood_type, count(*) AS n
FROM "physical-risk"."physical-risk".assets a
JOIN flood."flood-areas".flood_prone_areas f ON f.h3_cell = a.h3_cell
GROUP BY 1, 2"""
ASSETS = 'SELECT asset_id, country_code FROM "physical-risk"."physical-risk".assets'


@dataclass
class Gateway:
    services: Services
    db: Path  # the SQLite file of registry, usage and audit

    async def graph(
        self, query: str, principal: Principal, variables: dict[str, Any] | None = None
    ) -> Any:
        """Run ``query`` on the gateway's schema as ``principal`` (as the auth middleware
        will: the principal in the request's ASGI scope)."""
        scope = {PRINCIPAL_KEY: principal, REQUEST_ID_KEY: "req-graph"}
        request = SimpleNamespace(scope=scope, client=SimpleNamespace(host="10.9.9.9"))
        context = new_context(self.services, request=request)
        schema = build_schema(self.services.settings)
        return await schema.execute(query, variable_values=variables, context_value=context)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of the audit tables as the database holds them."""
        with contextlib.closing(sqlite3.connect(self.db)) as db:
            return db.execute(sql).fetchall()


@pytest.fixture(scope="module")
def products() -> Iterator[dict[str, str]]:
    """Base URLs of the demo product gateways, by folder name."""
    dirs = [d for d in demo_product_dirs() if d.name in NAMES]
    assert len(dirs) == len(NAMES)
    with contextlib.ExitStack() as stack:
        yield {
            d.name: stack.enter_context(running(create_product_app(d, token="t", env={})))
            for d in dirs
        }


@pytest.fixture
async def gateway(products: dict[str, str], tmp_path: Path) -> AsyncIterator[Gateway]:
    """Services over a fresh database, both products registered by their owners."""
    db = tmp_path / "registry.db"
    settings = Settings(
        registry_url=f"sqlite:///{db}", data_root=str(ROOT), upstream_allowed_networks=LOOPBACK_ONLY
    )
    services = await open_services(settings)
    try:
        owners = {"physical-risk": RISK_OWNER, "flood-areas": FLOOD_OWNER}
        for name, base in products.items():
            await services.registry.register(f"{base}/discover/metadata", actor=owners[name])
        yield Gateway(services, db)
    finally:
        await close_services(services)
