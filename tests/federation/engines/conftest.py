"""Fixtures for the engine tests: the demo catalog over freshly generated demo data
(``demo_root``, shared with the generator's tests: tests/fixtures/demo_data.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from contracts import load_contract, load_descriptor
from gateway.federation.catalog import CatalogTable, StaticCatalog, build_catalog
from gateway.federation.engines import DuckDBEngine
from gateway.federation.engines._duckdb_sources import qualified
from gateway.federation.planner import Plan, TableUse

ROOT = Path(__file__).resolve().parents[3]
PRODUCTS = ROOT / "demo" / "products"


def contract_entries(
    env: Mapping[str, str], *, drop_servers: Iterable[str] = ()
) -> list[tuple[str, str, str, Mapping[str, Any]]]:
    """``(product_id, domain, slug, contract_raw)`` of every demo output contract,
    without the servers of the types in ``drop_servers``."""
    dropped = set(drop_servers)
    entries = []
    for folder in sorted(p.parent for p in PRODUCTS.glob("*/product.yaml")):
        product = load_descriptor(folder / "product.yaml")
        outputs = {(r.contract_id, r.version) for v in product.versions for r in v.outputs}
        for path in sorted((folder / "contracts").glob("*.yaml")):
            doc = load_contract(path, env=env)
            if (doc.id, doc.version) not in outputs:
                continue
            raw = dict(doc.raw)
            raw["servers"] = [s for s in raw.get("servers", []) if s["type"] not in dropped]
            entries.append((product.id, product.domain, product.slug, raw))
    return entries


@pytest.fixture(scope="session")
def file_catalog() -> StaticCatalog:
    """The demo mesh's catalog: every table read from its local file."""
    return build_catalog(contract_entries({}))


@pytest.fixture
async def engine(file_catalog: StaticCatalog, demo_root: Path) -> AsyncIterator[DuckDBEngine]:
    """A DuckDB engine over the generated demo files."""
    duck = DuckDBEngine(file_catalog.tables(), root=demo_root)
    yield duck
    await duck.close()


@pytest.fixture(scope="module")
def module_engine(file_catalog: StaticCatalog, demo_root: Path) -> Iterator[DuckDBEngine]:
    """One DuckDB engine for a module whose tests only read through it (each query on its
    own cursor): opening the views over every demo file cost more than such a test."""
    duck = DuckDBEngine(file_catalog.tables(), root=demo_root)
    yield duck
    duck.shutdown()  # what close() runs in a thread; no loop runs between modules


def view(catalog: StaticCatalog, logical: str) -> str:
    """The engine's qualified name of the newest version of ``logical``."""
    table = catalog.get(logical)
    assert table is not None, logical
    return qualified(table.locations["duckdb"].parts)


def plan_for(catalog: StaticCatalog, sql: str, *logicals: str) -> Plan:
    """A plan reading ``logicals`` with ``sql`` (``{name}`` placeholders → view names)."""
    tables = [catalog.get(name) for name in logicals]
    assert all(tables), logicals
    names = {name.split(".")[-1]: view(catalog, name) for name in logicals}
    return make_plan(sql.format(**names), *(t for t in tables if t is not None))


def make_plan(sql: str, *tables: CatalogTable) -> Plan:
    """A plan of already physical duckdb ``sql`` reading ``tables`` (no planner checks:
    the engine's own checks are under test)."""
    uses = tuple(TableUse(t, tuple(c.name for c in t.columns)) for t in tables)
    return Plan(sql=sql, engine="duckdb", tables=uses, row_cap=None, logical_sql=sql)
