"""The arrows between the packages go one way (docs/architecture.md).

Read from the source (every ``import``, also those inside functions), so a lazy import
cannot hide an arrow:

- ``contracts`` imports none of the others;
- ``gateway`` imports neither the GraphQL layer (``schema``, ``resolvers``) nor the kit;
- the product kit (``productkit``) is a second application: of the gateway it uses only
  the shared base (the error tree, value forms, CSV dialects, the network guard), and
  that base imports nothing else of the gateway, so the kit never loads the gateway's
  registry, federation, settings or HTTP app;
- Starlette only in the two HTTP layers, Strawberry only in ``schema`` and ``resolvers``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("contracts", "gateway", "schema", "resolvers", "productkit")

# The part of the gateway both applications share: leaves of the gateway package.
SHARED_BASE = ("gateway.errors", "gateway.values", "gateway.csv_dialect", "gateway.net")

FORBIDDEN = {
    "contracts": ("gateway", "schema", "resolvers", "productkit", "demo"),
    "gateway": ("schema", "resolvers", "productkit", "demo"),
    "productkit": ("schema", "resolvers", "demo"),
}


def imports(package: str) -> Iterator[tuple[str, str]]:
    """(file relative to the repository, imported module) for every import of ``package``."""
    for file in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                yield str(file.relative_to(ROOT)), name


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    """Whether module ``name`` is one of ``prefixes`` or inside one.

    >>> within("gateway.errors", ("gateway",)), within("gatewayx", ("gateway",))
    (True, False)
    """
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_arrow_points_back(package: str) -> None:
    wrong = [(f, m) for f, m in imports(package) if within(m, FORBIDDEN[package])]
    assert not wrong, f"{package} must not import these: {wrong}"


def test_the_kit_uses_only_the_shared_base_of_the_gateway() -> None:
    wrong = [
        (f, m)
        for f, m in imports("productkit")
        if within(m, ("gateway",)) and not within(m, SHARED_BASE)
    ]
    assert not wrong, f"the kit reaches into the gateway: {wrong}"


def test_the_shared_base_imports_nothing_else_of_the_gateway() -> None:
    base_files = {
        str(p.relative_to(ROOT))
        for name in SHARED_BASE
        for p in [ROOT / Path(*name.split("."))]
        for p in ([p.with_suffix(".py")] if p.with_suffix(".py").is_file() else p.rglob("*.py"))
    }
    assert base_files, "the shared base has no files"
    wrong = [
        (f, m)
        for f, m in imports("gateway")
        if f in base_files and within(m, ("gateway",)) and not within(m, SHARED_BASE)
    ]
    assert not wrong, f"the shared base must stay a leaf: {wrong}"


def test_the_kit_starts_without_loading_the_gateway() -> None:
    """Importing the kit's app loads no gateway module outside the shared base."""
    import subprocess
    import sys

    code = (
        "import sys, productkit.http.app, productkit.cli\n"
        "print('\\n'.join(m for m in sys.modules if m == 'gateway' or m.startswith('gateway.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    loaded = [m for m in out if m != "gateway" and not within(m, SHARED_BASE)]
    assert not loaded, f"the kit loaded gateway modules: {loaded}"


@pytest.mark.parametrize(
    ("library", "allowed"),
    [
        ("starlette", ("gateway/http/", "productkit/http/", "schema/asgi.py")),
        ("strawberry", ("schema/", "resolvers/")),
    ],
)
def test_frameworks_stay_in_their_layer(library: str, allowed: tuple[str, ...]) -> None:
    wrong = [
        (f, m)
        for package in PACKAGES
        for f, m in imports(package)
        if within(m, (library,)) and not f.startswith(allowed)
    ]
    assert not wrong, f"{library} outside its layer: {wrong}"
