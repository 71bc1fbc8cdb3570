"""The certification store on both backends: what it keeps, history paging, purging, its
own schema version table beside the registry's."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from gateway.certification import (
    MESH,
    PRODUCT,
    Certification,
    CertificationStore,
    PolicyResult,
    open_certification_store,
)
from gateway.certification.sqlite import SCHEMA_VERSION
from gateway.errors import BadRequest
from gateway.registry import open_registry

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
REPORT = (
    PolicyResult("owner-and-support", "Owner and support", False, "no support channel", MESH,
                 "bronze"),
    PolicyResult("license-declared", "A licence", True, "licence CC-BY-4.0", PRODUCT),
)  # fmt: skip


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'run' / 'registry.db'}"
    dsn: str = request.getfixturevalue("fresh_postgres_dsn")
    return dsn


@pytest.fixture
async def store(url: str) -> AsyncIterator[CertificationStore]:
    opened = await open_certification_store(url)
    yield opened
    await opened.close()


def made(at: datetime, product: str = "p1", status: str = "NOT_COMPLIANT") -> Certification:
    return Certification(product, at, status, "bronze", REPORT, product_status="OK")


async def test_an_evaluation_comes_back_as_recorded(store: CertificationStore) -> None:
    new_id = await store.record(made(T0))
    [found] = (await store.history("p1")).items
    assert found.id == new_id
    assert (found.product_id, found.checked_at, found.status, found.level) == (
        "p1", T0, "NOT_COMPLIANT", "bronze",
    )  # fmt: skip
    assert found.report == REPORT
    assert found.product_status == "OK"
    assert (await store.history("p2")).items == ()


async def test_history_is_newest_first_and_pages_with_cursors(store: CertificationStore) -> None:
    for i in range(5):
        await store.record(
            made(T0 + timedelta(minutes=i), status="OK" if i % 2 else "NOT_COMPLIANT")
        )
    await store.record(made(T0, product="other"))
    first = await store.history("p1", first=2)
    assert [c.checked_at for c in first.items] == [
        T0 + timedelta(minutes=4),
        T0 + timedelta(minutes=3),
    ]
    assert first.has_next
    rest = await store.history("p1", first=10, after=first.end_cursor)
    assert [c.checked_at for c in rest.items] == [T0 + timedelta(minutes=m) for m in (2, 1, 0)]
    assert not rest.has_next
    with pytest.raises(BadRequest):
        await store.history("p1", after="not-a-cursor")
    with pytest.raises(BadRequest):
        await store.history("p1", first=0)


async def test_purge_deletes_only_what_is_older(store: CertificationStore) -> None:
    await store.record(made(T0 - timedelta(days=400)))
    await store.record(made(T0))
    assert await store.purge(T0 - timedelta(days=365)) == 1
    assert [c.checked_at for c in (await store.history("p1")).items] == [T0]


async def test_its_tables_have_their_own_version_beside_the_registry(url: str) -> None:
    registry = await open_registry(url)
    store = await open_certification_store(url)
    await store.record(made(T0))
    await store.close()
    await registry.close()
    again = await open_certification_store(url)  # reopening migrates nothing, keeps rows
    assert len((await again.history("p1")).items) == 1
    await again.close()
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            [(version,)] = db.execute("SELECT version FROM certification_schema").fetchall()
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    else:
        with psycopg.connect(url) as db:
            [(version,)] = db.execute("SELECT version FROM certification_schema").fetchall()
            tables = {
                r[0]
                for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname='public'")
            }
    assert version == SCHEMA_VERSION
    assert {"certifications", "certification_schema", "registry_schema"} <= tables
