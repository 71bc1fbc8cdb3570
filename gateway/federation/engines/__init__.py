"""SQL engines the federation layer runs plans on: embedded DuckDB and Trino.

Each engine follows :class:`Engine` and answers a :class:`Result`.
"""

from __future__ import annotations

from gateway.federation.engines.base import Engine, Result
from gateway.federation.engines.duckdb_engine import DuckDBEngine

__all__ = ["DuckDBEngine", "Engine", "Result"]
