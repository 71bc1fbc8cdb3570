"""A hostile contract cannot choose what the engines read: the operator's reach decides.

Each case is a contract a registered product could serve; the table is kept in the
catalog (so SQL naming it gets TABLE_UNAVAILABLE, not TABLE_NOT_FOUND) without the
location the operator did not allow, and the catalog says why.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import TableUnavailable
from gateway.federation import build_catalog, plan
from gateway.federation.reach import Reach
from gateway.settings import Settings

LEAVES = "local server path leaves the data roots"
CATALOG = "trino catalog is not one the operator allows"
SYSTEM = "server schema is a system schema"
PG_HOST = "postgres server host is not one the operator allows"
MYSQL_HOST = "mysql server host is not one the operator allows"
KIT = {"server": "kit", "type": "local", "path": "data/t.csv", "format": "csv"}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A data root holding a file, a symlink to /etc/passwd and one to a folder outside."""
    data = tmp_path / "root" / "data"
    data.mkdir(parents=True)
    (data / "t.csv").write_text("line\nok\n")
    (data / "passwd.csv").symlink_to("/etc/passwd")
    (data / "etc").symlink_to("/etc")
    (tmp_path / "outside.csv").write_text("line\nsecret\n")
    return tmp_path / "root"


def contract(*servers: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "c-evil",
        "version": "1.0.0",
        "servers": list(servers),
        "schema": [{"name": "t", "physicalName": "t", "properties": [{"name": "line"}]}],
    }


def catalog_of(reach: Reach, *servers: dict[str, Any]) -> Any:
    return build_catalog([("p-evil", "attack", "evil", contract(*servers))], reach=reach)


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/etc/passwd", LEAVES),  # absolute, outside every root
        ("../outside.csv", LEAVES),  # climbs out of the root
        ("data/../../../../../../../etc/passwd", LEAVES),
        ("data/passwd.csv", LEAVES),  # a symlink inside the root pointing outside
        ("data/etc/passwd", LEAVES),  # through a symlinked folder
        ("/*/passwd", LEAVES),  # a glob in the first part: the whole filesystem
        ("/**/passwd", LEAVES),
        ("../**/*.csv", LEAVES),  # '**' above the root
        ("data/*/../../../outside.csv", "local server path climbs with '..' after a glob"),
        ("data/*.csv", LEAVES),  # matches the symlink to /etc/passwd
        ("**/passwd*", LEAVES),
        ("file:///etc/passwd", "local server path is not a file path"),
        ("https://example.com/x.csv", "local server path is not a file path"),
    ],
)
def test_a_local_path_out_of_the_data_roots_makes_the_table_unavailable(
    root: Path, path: str, why: str
) -> None:
    reach = Reach.of(root=root)
    catalog = catalog_of(reach, {"type": "local", "path": path, "format": "csv"})
    table = catalog.get("attack.evil.t")
    assert table is not None and "duckdb" not in table.locations
    assert [(u.product_id, u.table, u.engine, u.reason) for u in catalog.unavailable] == [
        ("p-evil", "attack.evil.t", "duckdb", why)
    ]
    with pytest.raises(TableUnavailable) as caught:
        plan("SELECT line FROM attack.evil.t", catalog, "duckdb", max_rows=5)
    assert caught.value.code == "TABLE_UNAVAILABLE"
    assert caught.value.product_id == "p-evil"
    assert caught.value.message == f"attack.evil.t is unavailable on duckdb: {why}"
    assert str(root) not in caught.value.message and "/etc" not in caught.value.message


@pytest.mark.parametrize(
    "path",
    ["data/t.csv", "data/t*.csv", "data/**/t.csv", "./data/../data/t.csv", "{root}/data/t.csv"],
)
def test_a_local_path_inside_the_data_roots_is_read(root: Path, path: str) -> None:
    reach = Reach.of(root=root)
    catalog = catalog_of(reach, {"type": "local", "path": path.format(root=root), "format": "csv"})
    assert catalog.unavailable == []
    table = catalog.get("attack.evil.t")
    assert table is not None and "duckdb" in table.locations


def test_a_symlink_into_another_data_root_is_allowed(root: Path, tmp_path: Path) -> None:
    (root / "shared").symlink_to(tmp_path)
    path = {"type": "local", "path": "shared/outside.csv", "format": "csv"}
    assert catalog_of(Reach.of(root=root), path).unavailable[0].reason == LEAVES
    both = Reach.of(root=root, data_roots=[root, tmp_path])
    assert catalog_of(both, path).unavailable == []


@pytest.mark.parametrize(
    ("server", "why"),
    [
        ({"type": "trino", "catalog": "system", "schema": "runtime"}, CATALOG),
        ({"type": "trino", "catalog": "SYSTEM", "schema": "jdbc"}, CATALOG),
        ({"type": "trino", "catalog": "hive_prod", "schema": "finance"}, CATALOG),
        ({"type": "trino", "catalog": "demo_pg", "schema": "information_schema"}, SYSTEM),
        ({"type": "trino", "catalog": "demo_pg", "schema": "pg_catalog"}, SYSTEM),
        ({"type": "postgres", "host": "10.0.0.7", "port": 5432, "schema": "public"}, PG_HOST),
        ({"type": "postgres", "host": "127.0.0.1", "port": 5432, "schema": "public"}, PG_HOST),
        ({"type": "postgres", "schema": "public"}, PG_HOST),  # libpq's default host
        ({"type": "mysql", "host": "db.internal", "port": 3306, "database": "hr"}, MYSQL_HOST),
        ({"type": "mysql", "host": "127.0.0.1", "port": 53306, "database": "mysql"}, SYSTEM),
    ],
)
def test_a_trino_or_database_server_off_the_operators_lists_is_unavailable_on_trino(
    root: Path, server: dict[str, Any], why: str
) -> None:
    catalog = catalog_of(Reach.of(root=root), server, KIT)
    table = catalog.get("attack.evil.t")
    assert table is not None and set(table.locations) == {"duckdb"}  # the kit's file
    assert [(u.engine, u.reason) for u in catalog.unavailable] == [("trino", why)]
    with pytest.raises(TableUnavailable, match=f"attack.evil.t is unavailable on trino: {why}"):
        plan("SELECT line FROM attack.evil.t", catalog, "trino", max_rows=5)


@pytest.mark.parametrize(
    ("server", "why"),
    [
        ({"type": "postgres", "host": "10.0.0.7", "port": 5432, "schema": "public"}, PG_HOST),
        ({"type": "postgres", "host": "localhost", "port": 5433, "schema": "public"}, PG_HOST),
        ({"type": "postgres", "host": "127.0.0.1", "port": 55432, "schema": "pg_catalog"}, SYSTEM),
    ],
)
def test_duckdb_never_attaches_a_database_host_off_the_list(
    root: Path, server: dict[str, Any], why: str
) -> None:
    catalog = catalog_of(Reach.of(root=root), server)
    assert [(u.engine, u.reason) for u in catalog.unavailable] == [
        ("duckdb", why),
        ("trino", why),
    ]
    with pytest.raises(TableUnavailable, match=why):
        plan("SELECT line FROM attack.evil.t", catalog, "duckdb", max_rows=5)


def test_the_operators_lists_come_from_settings(root: Path) -> None:
    settings = Settings(
        data_root=str(root),
        trino_allowed_catalogs="lake, demo_pg, system",
        sql_allowed_db_hosts="db.internal:6432,[::1]:5432",
    )
    reach = Reach.from_settings(settings)
    assert reach.trino_catalogs == {"lake", "demo_pg"}  # system never
    pg = {"type": "postgres", "host": "DB.internal", "port": "6432", "schema": "s"}
    v6 = {"type": "postgres", "host": "::1", "port": 5432, "schema": "s"}
    lake = {"type": "trino", "catalog": "lake", "schema": "s"}
    for server in (pg, v6, lake):
        assert catalog_of(reach, server, KIT).unavailable == [], server
    assert catalog_of(Reach.of(root=root), lake, KIT).unavailable[0].reason == CATALOG


def test_the_default_reach_keeps_the_demo_mesh_whole() -> None:
    from tests.federation.demo_catalog import demo_catalog

    catalog = demo_catalog()
    assert catalog.unavailable == []
    assert all(set(t.locations) == {"duckdb", "trino"} for t in catalog.tables())
    assert Settings().sql_data_roots == "" and os.path.realpath(".") == str(Reach.of().root)
