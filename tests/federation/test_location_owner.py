"""A product cannot read another product's data under a contract of its own.

Access rules come from each table's own contract, so a hostile product whose contract
points at a victim's file, folder or database table (with roles that let everyone read
and nothing classified) would serve the victim's data unmasked. Each location belongs to
the product registered first; the later claimant's table is unavailable on that engine
(TABLE_UNAVAILABLE), with a reason that tells nothing of the victim's paths.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import TableUnavailable
from gateway.federation import build_catalog, plan
from gateway.federation.catalog import StaticCatalog
from gateway.federation.location_owner import TAKEN
from gateway.federation.reach import Reach
from gateway.identity import Principal

ANALYST = Principal(subject="ana", roles=frozenset({"analyst"}))
T0 = datetime(2026, 1, 1, tzinfo=UTC)
PG = {"type": "postgres", "host": "127.0.0.1", "port": 55432, "database": "mesh"}
MYSQL = {"type": "mysql", "host": "127.0.0.1", "port": 53306}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A data root with the victim's folder (two files) and a folder of its own."""
    victim = tmp_path / "root" / "data" / "victim"
    victim.mkdir(parents=True)
    (victim / "t.csv").write_text("secret\nvictim-value\n")
    (victim / "u.csv").write_text("secret\nother\n")
    (tmp_path / "root" / "data" / "evil").mkdir()
    (tmp_path / "root" / "data" / "evil" / "t.csv").write_text("secret\nharmless\n")
    return tmp_path / "root"


def contract(cid: str, version: str, *servers: dict[str, Any], table: str = "t") -> dict[str, Any]:
    return {
        "id": cid,
        "version": version,
        "servers": list(servers),
        "schema": [{"name": table, "physicalName": table, "properties": [{"name": "secret"}]}],
        # the hostile contract lets any analyst read, nothing classified
        "roles": [{"role": "analyst", "access": "read"}],
    }


def mesh(
    root: Path,
    victim: list[dict[str, Any]],
    evil: list[dict[str, Any]],
    *,
    registered: dict[str, datetime] | None = None,
) -> StaticCatalog:
    """The victim (``p-victim``, registered first) and the hostile product (``p-evil``)."""
    reach = Reach.of(root=root, trino_catalogs=["demo_pg", "demo_mariadb", "lake"])
    return build_catalog(
        [
            ("p-evil", "x", "evil", contract("c-evil", "1.0.0", *evil)),
            ("p-victim", "v", "victim", contract("c-victim", "1.0.0", *victim)),
        ],
        reach=reach,
        registered=registered or {"p-victim": T0, "p-evil": T0 + timedelta(days=1)},
    )


def local(path: str) -> dict[str, Any]:
    return {"type": "local", "path": path, "format": "csv"}


def assert_taken(catalog: StaticCatalog, engine: str, root: Path) -> None:
    """The hostile table lost ``engine`` with the safe reason; the victim lost nothing."""
    evil, victim = catalog.get("x.evil.t"), catalog.get("v.victim.t")
    assert evil is not None and victim is not None
    assert engine not in evil.locations
    assert engine in victim.locations and victim.unavailable == {}
    assert [(u.product_id, u.engine, u.reason) for u in catalog.unavailable] == [
        ("p-evil", engine, TAKEN)
    ]
    with pytest.raises(TableUnavailable) as caught:
        plan("SELECT secret FROM x.evil.t", catalog, engine, max_rows=5, principal=ANALYST)
    assert caught.value.code == "TABLE_UNAVAILABLE"
    assert caught.value.product_id == "p-evil"
    assert caught.value.message == f"x.evil.t is unavailable on {engine}: {TAKEN}"
    assert str(root) not in caught.value.message and "victim" not in caught.value.message


@pytest.mark.parametrize(
    "path",
    [
        "data/victim/t.csv",  # the same file
        "./data/evil/../victim/t.csv",  # the same file, spelled with '..'
        "{root}/data/victim/t.csv",  # absolute
        "data/victim/*.csv",  # a glob matching it
        "data/*/t.csv",
        "data/**/t.csv",
        "data/v*/t.[ct]sv",
        "data/{victim,other}/t.csv",
        "data/victim",  # its folder
        "data",  # a folder above
    ],
)
def test_a_local_path_onto_another_products_file_is_unavailable(root: Path, path: str) -> None:
    catalog = mesh(root, [local("data/victim/t.csv")], [local(path.replace("{root}", str(root)))])
    assert_taken(catalog, "duckdb", root)


def test_a_symlink_or_hard_link_to_the_file_is_the_same_file(root: Path) -> None:
    (root / "data" / "evil" / "alias").symlink_to(root / "data" / "victim")
    os.link(root / "data" / "victim" / "t.csv", root / "data" / "evil" / "linked.csv")
    for path in ("data/evil/alias/t.csv", "data/evil/linked.csv", "data/evil/l*.csv"):
        catalog = mesh(root, [local("data/victim/t.csv")], [local(path)])
        assert_taken(catalog, "duckdb", root)


@pytest.mark.parametrize(
    ("victim", "evil"),
    [
        ("data/victim/*.csv", "data/victim/t.csv"),  # the victim reads a glob; a file in it
        ("data/victim/*.csv", "data/*/*.csv"),  # two globs meeting
        ("data/victim/*.csv", "data/victim/[tu].csv"),
        ("data/victim/{table}.csv", "data/victim/t.csv"),
    ],
)
def test_a_path_onto_what_another_products_glob_reads_is_unavailable(
    root: Path, victim: str, evil: str
) -> None:
    catalog = mesh(root, [local(victim)], [local(evil)])
    assert_taken(catalog, "duckdb", root)


@pytest.mark.parametrize(
    "evil", ["data/evil/t.csv", "data/evil/*.csv", "data/victim/u.csv", "data/victim/x_*.csv"]
)
def test_locations_that_do_not_meet_stay_with_each_product(root: Path, evil: str) -> None:
    (root / "data" / "victim" / "x_1.csv").write_text("secret\nx\n")
    catalog = mesh(root, [local("data/victim/t.csv")], [local(evil)])
    assert catalog.unavailable == []


@pytest.mark.parametrize(
    ("victim", "evil", "engines"),
    [
        # the same PostgreSQL schema.table, spelled in another case: both engines
        ({**PG, "schema": "risk"}, {**PG, "schema": "RISK"}, ["duckdb", "trino"]),
        ({**PG, "schema": "risk"}, {**PG, "host": "LocalHost", "schema": "Risk"},
         ["duckdb", "trino"]),
        # a trino server naming the Trino table the victim's postgres server is read as
        ({**PG, "schema": "risk"}, {"type": "trino", "catalog": "DEMO_PG", "schema": "risk"},
         ["trino"]),
        # and the other way round
        ({"type": "trino", "catalog": "demo_pg", "schema": "risk"}, {**PG, "schema": "risk"},
         ["duckdb", "trino"]),
        # the same Trino catalog.schema.table
        ({"type": "trino", "catalog": "lake", "schema": "risk"},
         {"type": "trino", "catalog": "Lake", "schema": "RISK"}, ["trino"]),
        # the same MariaDB database.table
        ({**MYSQL, "database": "risk"}, {**MYSQL, "host": "localhost", "database": "Risk"},
         ["trino"]),
    ],
)  # fmt: skip
def test_a_database_table_of_another_product_is_unavailable(
    root: Path, victim: dict[str, Any], evil: dict[str, Any], engines: list[str]
) -> None:
    kit = local("data/evil/t.csv") if "duckdb" not in engines else None
    catalog = mesh(root, [victim], [evil, *([kit] if kit else [])])
    table = catalog.get("x.evil.t")
    assert table is not None
    assert [(u.product_id, u.engine, u.reason) for u in catalog.unavailable] == [
        ("p-evil", engine, TAKEN) for engine in engines
    ]
    for engine in engines:
        with pytest.raises(TableUnavailable, match=TAKEN):
            plan("SELECT secret FROM x.evil.t", catalog, engine, max_rows=5, principal=ANALYST)
    assert catalog.get("v.victim.t").unavailable == {}  # type: ignore[union-attr]


def test_another_schema_or_table_of_the_same_database_is_not_taken(root: Path) -> None:
    other_schema = mesh(root, [{**PG, "schema": "risk"}], [{**PG, "schema": "risk2"}])
    assert other_schema.unavailable == []
    reach = Reach.of(root=root)
    other_table = build_catalog(
        [
            ("p-victim", "v", "victim", contract("c-v", "1.0.0", {**PG, "schema": "risk"})),
            ("p-evil", "x", "evil", contract("c-e", "1.0.0", {**PG, "schema": "risk"}, table="u")),
        ],
        reach=reach,
    )
    assert other_table.unavailable == []


def test_versions_and_tables_of_one_product_share_their_locations(root: Path) -> None:
    file, pg = local("data/victim/t.csv"), {**PG, "schema": "risk"}
    catalog = build_catalog(
        [
            ("p-victim", "v", "victim", contract("c-1", "1.0.0", file, pg)),
            ("p-victim", "v", "victim", contract("c-2", "2.0.0", local("data/victim/*.csv"), pg)),
            ("p-victim", "v", "victim", contract("c-3", "1.0.0", local("data/victim"), pg,
                                                  table="other")),
        ],
        reach=Reach.of(root=root),
        registered={"p-victim": T0},
    )  # fmt: skip
    assert catalog.unavailable == []
    assert all(set(t.locations) == {"duckdb", "trino"} for t in catalog.tables())


def test_the_product_registered_first_keeps_the_location(root: Path) -> None:
    file = local("data/victim/t.csv")
    # p-evil sorts first, but p-victim was registered before it: the victim keeps it
    victim_first = mesh(root, [file], [file])
    assert [u.product_id for u in victim_first.unavailable] == ["p-evil"]
    # registered the other way round, the other product keeps it
    evil_first = mesh(
        root, [file], [file], registered={"p-evil": T0, "p-victim": T0 + timedelta(seconds=1)}
    )
    assert [u.product_id for u in evil_first.unavailable] == ["p-victim"]
    # at the same instant (or without times), the product id decides
    tie = mesh(root, [file], [file], registered={"p-evil": T0, "p-victim": T0})
    assert [u.product_id for u in tie.unavailable] == ["p-victim"]
    # a product without a registration time comes after those with one
    unknown = mesh(root, [file], [file], registered={"p-victim": T0})
    assert [u.product_id for u in unknown.unavailable] == ["p-evil"]


def test_a_later_claimant_keeps_its_other_engine(root: Path) -> None:
    """Losing the file on DuckDB leaves the hostile product's own Trino table alone."""
    catalog = mesh(
        root,
        [local("data/victim/t.csv")],
        [local("data/victim/t.csv"), {"type": "trino", "catalog": "lake", "schema": "evil"}],
    )
    evil = catalog.get("x.evil.t")
    assert evil is not None and set(evil.locations) == {"trino"}
    assert evil.unavailable == {"duckdb": TAKEN}


def test_the_demo_mesh_shares_no_location_between_products() -> None:
    from tests.federation.demo_catalog import demo_catalog

    catalog = demo_catalog()
    assert catalog.unavailable == []
    assert len({t.product_id for t in catalog.tables()}) == 9
