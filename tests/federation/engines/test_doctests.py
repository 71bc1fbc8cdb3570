"""The engines' docstring examples hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "gateway.federation.engines._duckdb_guard",
    "gateway.federation.engines._duckdb_relations",
    "gateway.federation.engines._duckdb_sources",
    "gateway.federation.engines._watchdog",
    "gateway.federation.engines.duckdb_engine",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
    assert result.attempted > 0
