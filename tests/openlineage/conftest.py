"""A small real mesh for the lineage events' tests (two demo product gateways and the
gateway under uvicorn, the gateway's app kept so a test can read its emitter), and a real
OpenLineage endpoint to send events to."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from gateway.openlineage import LineageEmitter
from gateway.settings import Settings
from productkit.http.app import create_product_app
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import DEMO, ROOT, Mesh

PRODUCTS = ("us-precipitation", "france-precipitation")

SQL = """query($q: String!) {
  sql(query: $q, engine: DUCKDB) { rows executedSql products { table columns } } }"""


@dataclass
class LineageMesh:
    mesh: Mesh
    app: Starlette

    @property
    def emitter(self) -> LineageEmitter:
        emitter = self.app.state.services.lineage
        assert isinstance(emitter, LineageEmitter)
        return emitter

    def sql(self, query: str) -> dict[str, Any]:
        return self.mesh.query(SQL, {"q": query})


@contextlib.contextmanager
def lineage_mesh(tmp: Path, **settings: Any) -> Iterator[LineageMesh]:
    """The gateway with ``settings`` over the demo's two precipitation products."""
    with contextlib.ExitStack() as stack:
        products = {
            name: stack.enter_context(running(create_product_app(DEMO / name, token="t", env={})))
            for name in PRODUCTS
        }
        issuer = TestIssuer(tmp / "auth")
        config = Settings(
            registry_url=f"sqlite:///{tmp / 'registry.db'}",
            upstream_allowed_networks=LOOPBACK_ONLY,
            data_root=str(ROOT),
            **issuer.settings(),
            **settings,
        )
        app = create_app(config)
        gateway = stack.enter_context(running(app))
        for base in products.values():
            answer = httpx.post(
                f"{gateway}/registry/products",
                json={"url": f"{base}/discover/metadata"},
                headers=issuer.headers(),
                timeout=30,
            )
            assert answer.status_code == 201, answer.text
        yield LineageMesh(Mesh(gateway, products, issuer=issuer), app)


@dataclass
class LineageServer:
    """An OpenLineage endpoint that keeps what it is sent (after ``delay_s``)."""

    delay_s: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    redirect_to: str = ""

    def app(self) -> Starlette:
        async def lineage(request: Request) -> Response:
            if self.redirect_to:
                return RedirectResponse(self.redirect_to, status_code=307)
            body = await request.body()
            await asyncio.sleep(self.delay_s)
            self.received.append(json.loads(body))
            return JSONResponse({}, status_code=201)

        return Starlette(routes=[Route("/api/v1/lineage", lineage, methods=["POST"])])


def wait_for(check: Callable[[], bool], *, timeout_s: float = 15.0) -> None:
    """Poll ``check`` until it holds; fail after ``timeout_s`` (events are sent in the
    background, after the answer)."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "the expected lineage events never arrived"
        time.sleep(0.05)
