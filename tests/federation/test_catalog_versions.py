"""Which contract version a table name reads: the newest release, never a pre-release
while a release exists; build metadata never decides (issue 7, item 4)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from gateway.federation import build_catalog
from gateway.registry.model import ContractLink
from gateway.registry.snapshot import Snapshot
from resolvers.documents import find_contract

LOCAL = {"type": "local", "path": "x/{table}.parquet", "format": "parquet"}


def contract(version: str) -> dict[str, Any]:
    return {
        "id": "c-1",
        "version": version,
        "servers": [LOCAL],
        "schema": [{"name": "readings", "properties": [{"name": "id"}]}],
    }


def versions_of(*versions: str) -> Any:
    return build_catalog([("p-1", "d", "prod", contract(v)) for v in versions])


def chosen(catalog: Any, name: str) -> str | None:
    table = catalog.get(name)
    return None if table is None else str(table.contract_version)


# Each line: the versions a product publishes, in the order given, and what the bare name
# and ``@1`` / ``@2`` must read (written by hand from the rules in contracts.versions).
CASES = [
    (["1.0.0", "1.0.0-rc1"], "1.0.0", "1.0.0", None),
    (["1.0.0-rc1", "1.0.0"], "1.0.0", "1.0.0", None),
    (["1.0.0", "1.1.0-rc.1", "2.0.0-alpha"], "1.0.0", "1.0.0", "2.0.0-alpha"),
    (["2.0.0-rc.1", "2.0.0-rc.2", "1.4.0"], "1.4.0", "1.4.0", "2.0.0-rc.2"),
    (["1.0.0-rc.9", "1.0.0-rc.10"], "1.0.0-rc.10", "1.0.0-rc.10", None),
    (
        ["1.0.0+exp.sha.5114f85", "1.0.0-rc1"],
        "1.0.0+exp.sha.5114f85",
        "1.0.0+exp.sha.5114f85",
        None,
    ),
    (["1.0.1", "1.0.0+build.99"], "1.0.1", "1.0.1", None),
    (["1.2.0-rc1", "1.1.0", "2.1.0", "2.0.0"], "2.1.0", "1.1.0", "2.1.0"),
]


@pytest.mark.parametrize(("versions", "bare", "major1", "major2"), CASES)
def test_the_newest_table_is_the_newest_release(
    versions: list[str], bare: str, major1: str | None, major2: str | None
) -> None:
    catalog = versions_of(*versions)
    assert chosen(catalog, "d.prod.readings") == bare
    assert chosen(catalog, "D.Prod.Readings@1") == major1
    assert chosen(catalog, "d.prod.readings@2") == major2
    # The unsuffixed DuckDB view is the newest's; every other version gets its own.
    plain = [t.contract_version for t in catalog.tables() if t.locations["duckdb"].parts[1]
             == "d__prod__readings"]  # fmt: skip
    assert plain == [bare]


def test_an_exact_version_still_reads_a_pre_release() -> None:
    catalog = versions_of("1.0.0", "1.1.0-rc.1")
    assert chosen(catalog, "d.prod.readings@1.1.0-rc.1") == "1.1.0-rc.1"
    assert chosen(catalog, "d.prod.readings@1.1.0") is None


def test_build_metadata_does_not_change_which_is_newest() -> None:
    # Equal precedence: the first given stays the newest, whichever build number is larger.
    assert chosen(versions_of("1.0.0+build.9", "1.0.0+build.10"), "d.prod.readings") == (
        "1.0.0+build.9"
    )
    assert chosen(versions_of("1.0.0+build.10", "1.0.0+build.9"), "d.prod.readings") == (
        "1.0.0+build.10"
    )


@pytest.mark.parametrize(
    ("published", "newest"),
    [
        (["1.0.0", "1.1.0-rc1"], "1.0.0"),
        (["2.0.0-beta", "1.9.0+b.1", "1.10.0-rc.1"], "1.9.0+b.1"),
        (["1.0.0-rc.2", "1.0.0-rc.10"], "1.0.0-rc.10"),
    ],
)
async def test_the_newest_contract_is_the_newest_release(published: list[str], newest: str) -> None:
    """``contract(id:)`` without a version: the registry's links, newest release first."""
    links = tuple(ContractLink("c-1", v, f"c {v}", f"http://p/c/{v}") for v in published)
    product: Any = SimpleNamespace(contracts=links)

    async def snapshot() -> Snapshot:
        return Snapshot((1, ""), (product,))

    ctx: Any = SimpleNamespace(loaders=SimpleNamespace(snapshot=snapshot))
    found = await find_contract(ctx, "c-1", None)
    assert found is not None and found[2] == newest
