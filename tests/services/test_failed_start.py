"""A start that fails half-way closes what it had opened: the HTTP clients, the stores, the
retention timers, their connections (issue 7, defect 6). The faults are real: a database
newer than this gateway, a PostgreSQL that refuses connections, a bad setting."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import httpx
import psycopg
import pytest
from starlette.types import Receive, Scope, Send

import gateway.services as services_module
import productkit.runtime as product_runtime
from gateway import default_executor
from gateway.audit import AuditError
from gateway.errors import RegistryError
from gateway.http.app import create_http_app
from gateway.registry import RegistryStore, open_registry
from gateway.services import Services, open_services
from gateway.settings import Settings
from gateway.usage import UsageError, UsageStore, open_usage
from productkit import open_product
from productkit.stores import StoreSet
from tests.product.builders import build_product

Opened = dict[str, Any]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Opened:
    """What ``open_services`` opens, kept as it is opened (the real objects, unchanged)."""
    seen: Opened = {}

    def keep(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def opener(*args: Any, **kwargs: Any) -> Any:
            seen[name] = real(*args, **kwargs)
            return seen[name]

        return opener

    def keep_async(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        async def opener(*args: Any, **kwargs: Any) -> Any:
            seen[name] = await real(*args, **kwargs)
            return seen[name]

        return opener

    monkeypatch.setattr(
        services_module, "create_http_client", keep("http", services_module.create_http_client)
    )
    monkeypatch.setattr(
        services_module,
        "create_authenticator",
        keep("authenticator", services_module.create_authenticator),
    )
    monkeypatch.setattr(services_module, "open_registry", keep_async("store", open_registry))
    monkeypatch.setattr(services_module, "open_usage", keep_async("usage", open_usage))
    return seen


def _too_new_audit(url: str) -> None:
    """Make the audit tables at ``url`` claim a schema version this gateway does not know."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE audit_schema (version INTEGER NOT NULL)")
            db.execute("INSERT INTO audit_schema (version) VALUES (99)")
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE audit_schema (version integer NOT NULL)")
            conn.execute("INSERT INTO audit_schema (version) VALUES (99)")


def _other_backends(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
        assert row is not None
        return int(row[0])


def _threads() -> set[threading.Thread]:
    """Live threads, but the loop's default executor, asyncio's or the gateway's (its idle
    workers are reused; the loop's close stops them)."""
    default = ("asyncio_", default_executor.PREFIX)
    return {t for t in threading.enumerate() if not t.name.startswith(default)}


async def _assert_no_thread_left_beside(before: set[threading.Thread]) -> None:
    """No thread started since ``before`` is still running a moment later.

    Product kits served in this test process start short-lived threads of their own
    (a SQL rule's timer lives as long as one query): such a thread may be alive when
    the set is read. One the gateway left behind still runs after the grace period.
    """
    deadline = time.monotonic() + 5
    while (left := {t for t in _threads() - before if t.is_alive()}) and (
        time.monotonic() < deadline
    ):
        await asyncio.sleep(0.05)
    assert not left


async def _assert_closed(seen: Opened) -> None:
    http: httpx.AsyncClient = seen["http"]
    assert http.is_closed
    assert seen["authenticator"]._http.is_closed
    store: RegistryStore = seen["store"]
    with pytest.raises(RegistryError):
        await store.count()
    usage: UsageStore = seen["usage"]
    with pytest.raises(UsageError):
        await usage.log()
    # No retention timer left running (the usage one had started).
    assert not [t for t in asyncio.all_tasks() if t.get_name().endswith("-purge")]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'run' / 'registry.db'}"
    dsn: str = request.getfixturevalue("fresh_postgres_dsn")
    return dsn


async def test_a_late_failure_closes_everything_opened_before(
    registry_url: str, opened: Opened
) -> None:
    """The audit store, opened after the clients, the registry, usage and its retention
    timer, refuses a newer schema: all of those are closed before the error goes up."""
    _too_new_audit(registry_url)
    threads = _threads()
    with pytest.raises(AuditError, match="newer"):
        await open_services(Settings(registry_url=registry_url))
    await _assert_closed(opened)
    await _assert_no_thread_left_beside(threads)
    if registry_url.startswith("postgresql"):
        # The registry's and usage's pools hung up (a backend exits a moment later).
        deadline = time.monotonic() + 5
        while _other_backends(registry_url) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert _other_backends(registry_url) == 0


async def test_an_unreachable_registry_database_closes_the_clients(opened: Opened) -> None:
    # Port 9 (discard) is closed on 127.0.0.1: the connection is refused at once.
    url = "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2"
    with pytest.raises(RegistryError, match="cannot connect"):
        await open_services(Settings(registry_url=url))
    assert opened["http"].is_closed
    assert opened["authenticator"]._http.is_closed
    assert "store" not in opened  # it never opened


async def _no_graph(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("not called")


async def test_the_app_closes_its_services_when_on_ready_fails(tmp_path: Path) -> None:
    got: list[Services] = []

    def on_ready(services: Services) -> None:
        got.append(services)
        raise RuntimeError("the embedding application could not start")

    settings = Settings(registry_url=f"sqlite:///{tmp_path / 'registry.db'}")
    app = create_http_app(settings, _no_graph, on_ready=on_ready)
    with pytest.raises(RuntimeError, match="could not start"):
        async with app.router.lifespan_context(app):
            raise AssertionError("the app started")
    [services] = got
    assert services.http.is_closed
    with pytest.raises(RegistryError):
        await services.store.count()


def test_a_bad_setting_after_the_stores_opened_closes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A product kit whose data is local holds a DuckDB database from the moment its
    stores open; a bad setting read afterwards closes it again."""
    stores: list[StoreSet] = []
    real = product_runtime.open_stores

    def keep(*args: Any, **kwargs: Any) -> StoreSet:
        stores.append(real(*args, **kwargs))
        return stores[-1]

    monkeypatch.setattr(product_runtime, "open_stores", keep)
    folder = build_product(tmp_path)
    # The kit's own limits are read before any store opens: nothing to close.
    with pytest.raises(ValueError, match="MESHGATE_PRODUCT_MAX_SUBSCRIPTIONS"):
        open_product(folder, env={"MESHGATE_PRODUCT_MAX_SUBSCRIPTIONS": "many"}, root=tmp_path)
    assert stores == []
    # The outbound policy is read after they opened.
    with pytest.raises(ValueError, match="MESHGATE_PRODUCT_ALLOWED_NETWORKS"):
        open_product(folder, env={"MESHGATE_PRODUCT_ALLOWED_NETWORKS": "no network"},
                     root=tmp_path)  # fmt: skip
    [opened_stores] = stores
    for store in opened_stores.stores:
        with pytest.raises(duckdb.ConnectionException, match="closed"):
            store._db.execute("SELECT 1")  # type: ignore[attr-defined]
