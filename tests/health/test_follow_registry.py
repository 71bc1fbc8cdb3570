"""The monitor follows the registry: a product is judged when registered (no refresh
asked), forgotten when unregistered, and a check under way when it is unregistered does
not bring its verdict back. A real kit under uvicorn, behind a relay that can slow it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.services import close_services, open_services
from gateway.settings import Settings
from productkit.http.app import create_product_app
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import DEMO

SLOW = 1.5  # seconds the relay holds /observe/health when slowed


def relay(kit: str, *, slow: bool = False, hold: float = SLOW) -> Starlette:
    """``kit`` as is; once slowed (``slow``, or a GET of ``/_slow``) its observability
    and certification answers are held ``hold`` seconds."""
    state = {"slow": slow}

    async def forward(request: Request) -> Response:
        if request.url.path == "/_slow":
            state["slow"] = True
            return Response("")
        if state["slow"] and request.url.path.startswith(("/observe/", "/certify/")):
            await asyncio.sleep(hold)
        async with httpx.AsyncClient() as http:
            answer = await http.get(
                kit + request.url.path,
                params=dict(request.query_params),
                headers={"host": request.headers["host"]},
            )
        kind = answer.headers.get("content-type", "application/json")
        return Response(answer.content, status_code=answer.status_code, media_type=kind)

    return Starlette(routes=[Route("/{path:path}", forward)])


async def _scenario(tmp: Path, base: str) -> tuple[bool, int, bool, bool]:
    settings = Settings(
        registry_url=f"sqlite:///{tmp / 'registry.db'}",
        upstream_allowed_networks=LOOPBACK_ONLY,
        health_refresh_seconds=3600.0,  # no refresh after the one at start
        certification_interval_seconds=0.0,
    )
    services = await open_services(settings)
    try:
        monitor = services.health
        product = await services.registry.register(f"{base}/discover/metadata")
        await asyncio.wait_for(monitor.follower.idle(), 30)
        judged = monitor.verdict(product.id) is not None  # on registration
        refreshes = monitor.refreshes
        async with httpx.AsyncClient() as http:
            await http.get(f"{base}/_slow")
        under_way = asyncio.create_task(monitor.check(product))  # a refresh's check
        await asyncio.sleep(SLOW / 3)
        await services.registry.unregister(product.id)
        await asyncio.wait_for(monitor.follower.idle(), 30)
        forgotten = monitor.verdict(product.id) is None
        await asyncio.wait_for(under_way, 30)
        still_forgotten = monitor.verdict(product.id) is None
        return judged, refreshes, forgotten, still_forgotten
    finally:
        await close_services(services)


def test_judged_on_registration_forgotten_on_unregistration_even_mid_check(
    tmp_path: Path,
) -> None:
    kit_app = create_product_app(DEMO / "us-precipitation", token="t", env={})
    with running(kit_app) as kit, running(relay(kit)) as base:
        judged, refreshes, forgotten, still_forgotten = asyncio.run(_scenario(tmp_path, base))
    assert judged and refreshes <= 1  # the one at start, with nothing registered
    assert forgotten  # at once, not at the next refresh (in an hour)
    assert still_forgotten  # the check under way did not bring it back


async def _register_slow(tmp: Path, base: str) -> tuple[float, int, int]:
    settings = Settings(
        registry_url=f"sqlite:///{tmp / 'registry.db'}",
        upstream_allowed_networks=LOOPBACK_ONLY,
        health_refresh_seconds=3600.0,
        certification_interval_seconds=3600.0,  # certify on registration too
    )
    services = await open_services(settings)
    try:
        started = asyncio.get_running_loop().time()
        await services.registry.register(f"{base}/discover/metadata")
        took = asyncio.get_running_loop().time() - started
        return took, services.health.follower.pending, services.certifier.follower.pending
    finally:
        await close_services(services)


def test_registration_does_not_wait_for_the_checks_it_starts(tmp_path: Path) -> None:
    kit_app = create_product_app(DEMO / "us-precipitation", token="t", env={})
    with running(kit_app) as kit, running(relay(kit, slow=True, hold=8.0)) as base:
        took, health, certification = asyncio.run(_register_slow(tmp_path, base))
    assert took < 6.0, f"registering took {took:.1f} s"  # the checks wait 8 s each
    assert (health, certification) == (1, 1)  # both started, in the background
