"""A mesh that changes while it is queried: product gateways under uvicorn behind a
switch (up, down, slow), and the gateway's services opened in the test's own event loop,
so a test can measure that loop and count the engines the federation builds."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

import gateway.federation.engine_choice as engine_choice_module
from gateway.errors import GatewayError
from gateway.federation.engines import DuckDBEngine
from gateway.services import Services, close_services, open_services
from gateway.settings import Settings
from productkit.http.app import create_product_app
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running

ROOT = Path(__file__).resolve().parents[3]
PRODUCTS = ROOT / "demo" / "products"
DATA = ROOT / "demo" / "data"

ASSETS = '"physical-risk"."physical-risk".assets'
US_DAILY = 'precipitation."us-precipitation".us_daily_precipitation'
CITIES = 'temperature."city-temperatures".cities'


def file_rows(relative: str) -> int:
    """Rows of a demo file, counted by DuckDB on its own (not through the gateway)."""
    with duckdb.connect(":memory:") as db:
        found = db.execute("SELECT count(*) FROM read_parquet(?)", [str(DATA / relative)])
        row = found.fetchone()
    assert row is not None
    return int(row[0])


class Switch:
    """An ASGI wrapper: ``mode`` "up" passes requests on, "down" answers 503 to all,
    "slow" sleeps ``slow_s`` before serving a contract (as a product under load).
    ``serve`` (when not None) is how many more requests are passed on before "down"."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.mode = "up"
        self.slow_s = 3.0
        self.serve: int | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.serve is not None:
            if self.serve <= 0:
                self.mode = "down"
            self.serve -= 1
        if self.mode == "down":
            body = b'{"error": "down for maintenance"}'
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"application/json")]})  # fmt: skip
            await send({"type": "http.response.body", "body": body})
            return
        if self.mode == "slow" and scope["path"].startswith("/discover/contracts/"):
            await asyncio.sleep(self.slow_s)
        await self.app(scope, receive, send)


@dataclass
class Product:
    url: str
    switch: Switch


@pytest.fixture(scope="module")
def products() -> Iterator[dict[str, Product]]:
    """physical-risk, us-precipitation and city-temperatures, each behind a switch."""
    with contextlib.ExitStack() as stack:
        found: dict[str, Product] = {}
        for name in ("physical-risk", "us-precipitation", "city-temperatures"):
            switch = Switch(create_product_app(PRODUCTS / name, token="t", env={}))
            found[name] = Product(stack.enter_context(running(switch)), switch)
        yield found
        for product in found.values():
            product.switch.mode = "up"


@pytest.fixture(autouse=True)
def all_up(products: dict[str, Product]) -> Iterator[None]:
    """Every product starts each test up (a module shares the servers)."""
    for product in products.values():
        product.switch.mode, product.switch.serve = "up", None
    yield
    for product in products.values():
        product.switch.mode, product.switch.serve = "up", None


class Builds:
    """Counts the DuckDB engines the federation builds."""

    def __init__(self) -> None:
        self.engines: list[DuckDBEngine] = []

    @property
    def count(self) -> int:
        return len(self.engines)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Builds:
    counter = Builds()

    class Counted(DuckDBEngine):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            counter.engines.append(self)

    monkeypatch.setattr(engine_choice_module, "DuckDBEngine", Counted)
    return counter


@contextlib.asynccontextmanager
async def opened(tmp_path: Path, **overrides: Any) -> AsyncIterator[Services]:
    """The gateway's services, in this event loop, allowed to call 127.0.0.1."""
    settings = Settings(
        registry_url=f"sqlite:///{tmp_path / 'registry.db'}",
        data_root=str(ROOT),
        sql_max_rows=10_000,
        upstream_allowed_networks=LOOPBACK_ONLY,
        **overrides,
    )
    services = await open_services(settings)
    try:
        yield services
    finally:
        await close_services(services)


async def outcome(services: Services, sql: str, engine: str = "duckdb") -> str:
    """``ok`` or the error code of running ``sql``."""
    try:
        await services.federation.run(sql, engine=engine)
    except GatewayError as exc:
        return exc.code
    return "ok"


async def until(services: Services, sql: str, wanted: str, *, within: float = 10.0) -> str:
    """Run ``sql`` until its outcome is ``wanted`` (the catalog notices a product's change
    on its next refresh); the last outcome, ``wanted`` unless ``within`` seconds passed."""
    deadline = time.monotonic() + within
    found = await outcome(services, sql)
    while found != wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        found = await outcome(services, sql)
    return found
