"""Both engines over the demo mesh: DuckDB reads the files, Trino reads PostgreSQL and MariaDB.

Each engine is opened once per module: the tests only run read-only statements on them
(each with its own principal and limits), and opening DuckDB's views over every demo
file for each of some eighty tests cost more than the tests themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.federation.engines import DuckDBEngine
from gateway.federation.engines.trino_engine import TrinoEngine, TrinoSettings
from tests.federation.demo_catalog import demo_catalog

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def trino_engine(trino_url: str, demo_stores: Any) -> Iterator[TrinoEngine]:
    """A Trino engine; ``demo_stores`` makes the stores hold the same rows as the files."""
    engine = TrinoEngine(TrinoSettings(url=trino_url))
    yield engine
    asyncio.run(engine.close())  # no loop runs between modules


@pytest.fixture(scope="module")
def duckdb_engine() -> Iterator[DuckDBEngine]:
    """A DuckDB engine reading the demo files in place."""
    engine = DuckDBEngine(demo_catalog().tables(), root=ROOT)
    yield engine
    engine.shutdown()  # what close() runs in a thread
