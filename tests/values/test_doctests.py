"""The docstring examples of gateway.values run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["gateway.values.json_form", "gateway.values.moments"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 4
