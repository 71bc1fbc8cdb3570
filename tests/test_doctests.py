"""Every docstring example in the project's packages (and test helpers) runs, and none
is left out.

One test for all of them: a module whose source holds ``>>>`` must yield examples to
:class:`doctest.DocTestFinder` (an example the finder cannot see, e.g. in a nested
function, or a module the walk cannot import, fails here instead of silently not
running), and every example must hold on the project's Python.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gateway", "schema", "resolvers", "contracts", "demo")
OPTIONS = doctest.ELLIPSIS
PROMPT = re.compile(r"^\s*>>> ", re.MULTILINE)


def _files_with_prompts(folder: Path) -> set[Path]:
    return {
        path.resolve()
        for path in folder.rglob("*.py")
        if PROMPT.search(path.read_text(encoding="utf-8")) and path.name != "__main__.py"
    }


def _module_names() -> list[str]:
    """Every module of the packages (each is imported: one that cannot be is an error
    here), and the test helpers with examples (test modules are pytest's to import)."""
    names = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            # ``__main__`` modules run a command line when imported.
            if not info.name.endswith(".__main__"):
                names.append(info.name)
    for path in _files_with_prompts(ROOT / "tests"):
        names.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return sorted(names)


MODULES = _module_names()


def _source_file(module: ModuleType) -> Path:
    assert module.__file__ is not None
    return Path(module.__file__).resolve()


def _examples(module: ModuleType) -> list[doctest.DocTest]:
    return [t for t in doctest.DocTestFinder().find(module) if t.examples]


def test_every_file_with_examples_is_a_module_whose_examples_are_found() -> None:
    found = {
        _source_file(module)
        for module in map(importlib.import_module, MODULES)
        if _examples(module)
    }
    assert found == {
        f for folder in (*PACKAGES, "tests") for f in _files_with_prompts(ROOT / folder)
    }
    # A floor against a walk that silently finds nothing (75 modules had examples).
    assert len(found) >= 70


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    failures: list[str] = []
    for test in _examples(module):
        out: list[str] = []
        result = runner.run(test, out=out.append, clear_globs=True)
        if result.failed:
            failures.append("".join(out))
    assert not failures, "\n".join(failures)
