"""The docstring examples of the catalog and the planner run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "gateway.federation.catalog",
    "gateway.federation.contract_access",
    "gateway.federation.planner.access",
    "gateway.federation.location_owner",
    "gateway.federation.planner.column_types",
    "gateway.federation.planner.ctes",
    "gateway.federation.planner.date_arithmetic",
    "gateway.federation.planning",
    "gateway.federation.result_size",
    "gateway.federation.reach",
    "gateway.federation.planner.functions",
    "gateway.federation.planner.integer_division",
    "gateway.federation.planner.limits",
    "gateway.federation.planner.logical_types",
    "gateway.federation.planner.masks",
    "gateway.federation.planner.plan",
    "gateway.federation.planner.row_filters",
    "gateway.federation.planner.rowcap",
    "gateway.federation.planner.statement",
    "gateway.federation.planner.transpile",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
