"""Both engines over the demo mesh: DuckDB reads the files, Trino reads PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.federation.engines import DuckDBEngine
from gateway.federation.engines.trino_engine import TrinoEngine, TrinoSettings
from tests.federation.demo_catalog import demo_catalog

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
async def trino_engine(trino_url: str, demo_stores: Any) -> AsyncIterator[TrinoEngine]:
    """A Trino engine; ``demo_stores`` makes the stores hold the same rows as the files."""
    engine = TrinoEngine(TrinoSettings(url=trino_url))
    yield engine
    await engine.close()


@pytest.fixture
async def duckdb_engine() -> AsyncIterator[DuckDBEngine]:
    """A DuckDB engine reading the demo files in place."""
    engine = DuckDBEngine(demo_catalog().tables(), root=ROOT)
    yield engine
    await engine.close()
