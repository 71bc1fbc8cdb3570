"""Choosing and opening a backend from ``MESHGATE_REGISTRY_URL``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gateway.errors import BadRequest, RegistryError
from gateway.registry import SqliteRegistryStore, open_registry, parse_registry_url
from gateway.registry.postgres import describe
from tests.registry.test_store import MESH


@pytest.mark.parametrize(
    ("url", "backend", "target"),
    [
        ("sqlite:///.run/registry.db", "sqlite", ".run/registry.db"),
        ("sqlite:////var/lib/meshgate/registry.db", "sqlite", "/var/lib/meshgate/registry.db"),
        ("sqlite://:memory:", "sqlite", ":memory:"),
        ("sqlite:///:memory:", "sqlite", ":memory:"),
        (
            "postgresql://mesh:pw@127.0.0.1:55432/registry",
            "postgresql",
            "postgresql://mesh:pw@127.0.0.1:55432/registry",
        ),
        ("postgres://127.0.0.1/registry", "postgresql", "postgres://127.0.0.1/registry"),
    ],
)
def test_accepted_urls(url: str, backend: str, target: str) -> None:
    location = parse_registry_url(url)
    assert (location.backend, location.target) == (backend, target)


@pytest.mark.parametrize(
    "url",
    ["mysql://127.0.0.1/registry", "sqlite://", "sqlite:///", "registry.db", "", "redis://x/0"],
)
async def test_other_urls_are_refused_naming_the_setting(url: str) -> None:
    with pytest.raises(BadRequest) as caught:
        await open_registry(url)
    message = caught.value.message
    assert "MESHGATE_REGISTRY_URL" in message and repr(url) in message
    assert "sqlite:///relative/path.db" in message and "postgresql://" in message
    assert caught.value.code == "BAD_REQUEST"


async def test_sqlite_creates_its_folder_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "registry.db"
    store = await open_registry(f"sqlite:///{path}")
    await store.upsert(MESH[0])
    await store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT id FROM products").fetchall() == [("p-us",)]


async def test_sqlite_relative_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = await open_registry("sqlite:///.run/registry.db")
    await store.close()
    assert (tmp_path / ".run" / "registry.db").is_file()


async def test_sqlite_in_memory_works_and_forgets() -> None:
    store = await open_registry("sqlite://:memory:")
    await store.upsert(MESH[0])
    assert await store.get("precipitation.us-precipitation") == MESH[0]
    await store.close()
    again = await open_registry("sqlite://:memory:")
    assert await again.count() == 0
    await again.close()


async def test_a_file_that_is_not_a_database_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "registry.db"
    path.write_bytes(b"this is not a SQLite database, just some text" * 100)
    with pytest.raises(RegistryError, match=f"cannot open the SQLite registry at {path}"):
        await SqliteRegistryStore.open(path)


async def test_an_unreachable_postgres_is_reported_without_its_password() -> None:
    from tests.registry.product_site import closed_port_url

    port = closed_port_url().rsplit(":", 1)[1]
    dsn = f"postgresql://mesh:s3cret@127.0.0.1:{port}/registry?connect_timeout=2"
    with pytest.raises(RegistryError) as caught:
        await open_registry(dsn)
    assert f"127.0.0.1:{port}/registry" in caught.value.message
    assert "s3cret" not in caught.value.message


def test_describe_hides_the_password() -> None:
    assert describe("postgresql://u:pw@db.example:6543/mesh") == "db.example:6543/mesh"
    assert describe("host=db dbname=mesh password=pw") == "db:5432/mesh"
