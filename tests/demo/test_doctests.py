"""The generator's docstring examples hold."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import demo.datagen

MODULES = sorted(m.name for m in pkgutil.iter_modules(demo.datagen.__path__, "demo.datagen."))


def test_modules_found() -> None:
    assert {"demo.datagen.derived", "demo.datagen.places", "demo.datagen.sink"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
