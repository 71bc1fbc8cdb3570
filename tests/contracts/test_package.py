"""The contracts package stands alone, and its docstring examples hold."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import contracts

MODULES = sorted(m.name for m in pkgutil.iter_modules(contracts.__path__, "contracts."))


def test_modules_found() -> None:
    assert {"contracts.odcs", "contracts.odps", "contracts.oors", "contracts._reader"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_imports_nothing_from_the_other_packages(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imported.add(node.module.split(".")[0])
    assert not imported & {"gateway", "schema", "resolvers"}


def test_public_api_names() -> None:
    expected = {
        "load_contract",
        "parse_contract",
        "load_descriptor",
        "parse_descriptor",
        "parse_result",
        "validate_file",
        "DocumentIssue",
        "DocumentInvalid",
        "ContractDocument",
        "ProductDescriptor",
        "ProductVersion",
        "ContractRef",
        "ObservabilityResult",
    }
    assert expected <= set(contracts.__all__)
    assert all(hasattr(contracts, name) for name in contracts.__all__)
