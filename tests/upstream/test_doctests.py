"""The examples in the upstream package's docstrings (address policy, links) run and hold."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import gateway.upstream

MODULES = sorted(
    m.name for m in pkgutil.iter_modules(gateway.upstream.__path__, gateway.upstream.__name__ + ".")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_examples_exist() -> None:
    attempted = sum(doctest.testmod(importlib.import_module(n)).attempted for n in MODULES)
    assert attempted >= 10
