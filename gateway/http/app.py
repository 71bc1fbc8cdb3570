"""The gateway's Starlette app: the only place that knows about HTTP routing.

The GraphQL endpoint is handed in as an ASGI app (built in ``schema.asgi``), so this
package never imports the graph.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp

from gateway.errors import GatewayError
from gateway.http.auth import AuthMiddleware
from gateway.http.limits import limit_middlewares
from gateway.http.refusal import refusal
from gateway.http.registration import registration_routes
from gateway.http.sql_stream import sql_stream_routes
from gateway.services import Services, close_services, open_services
from gateway.settings import Settings

log = logging.getLogger(__name__)


async def _close_within(services: Services, seconds: float) -> None:
    """Close ``services``; past ``seconds`` log where closing waits and return anyway, so
    that a stop signal ends the process (a close that never ends must not keep it up)."""
    closing = asyncio.ensure_future(close_services(services))
    done, _ = await asyncio.wait({closing}, timeout=seconds)
    if closing in done:
        closing.result()  # what closing raised, if anything
        return
    log.error(
        "the services did not close within %gs (MESHGATE_SHUTDOWN_SECONDS); exiting anyway "
        "(closing waits in %s)",
        seconds,
        _waiting_in(closing),
    )
    closing.cancel()


def _waiting_in(task: asyncio.Future[Any]) -> str:
    """Where a suspended task waits: its chain of coroutines, the innermost last."""
    coro: Any = getattr(task, "get_coro", lambda: None)()
    chain: list[str] = []
    while coro is not None and getattr(coro, "cr_frame", None) is not None:
        code = coro.cr_frame.f_code
        chain.append(f"{code.co_qualname} ({Path(code.co_filename).name}:{coro.cr_frame.f_lineno})")
        coro = getattr(coro, "cr_await", None)
    return " > ".join(chain[-4:]) or "an unknown place"


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def gateway_error(request: Request, exc: Exception) -> Response:
    """A GatewayError raised by a route: its code, status and the request id."""
    assert isinstance(exc, GatewayError)
    return refusal(exc, None, request.scope)


def create_http_app(
    settings: Settings,
    graphql_app: ASGIApp,
    *,
    extra_routes: Sequence[BaseRoute] = (),
    on_ready: Callable[[Services], None] | None = None,
) -> Starlette:
    """The app: ``/graphql`` (HTTP and WebSocket), ``/registry/products``, ``/healthz``
    and ``extra_routes``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        # open_services closes what it opened if it fails; from here on, whatever fails
        # (on_ready included) or however the server stops, the services are closed.
        services = await open_services(settings)
        try:
            app.state.services = services
            if on_ready is not None:
                on_ready(services)
            log.info("meshgate ready: http://%s:%s/graphql", settings.host, settings.port)
            yield {}
        finally:
            await _close_within(services, settings.shutdown_seconds)

    routes: list[BaseRoute] = [
        Route("/", lambda r: RedirectResponse("/graphql")),
        Route("/healthz", healthz),
        Route("/graphql", graphql_app, methods=["GET", "POST"]),
        # Live subscriptions (graphql-transport-ws): the same view, authenticated at
        # connection_init (docs/notifications.md).
        WebSocketRoute("/graphql", graphql_app),
        *registration_routes(),
        *sql_stream_routes(),
        *extra_routes,
    ]
    middleware: list[Middleware] = [
        Middleware(AuthMiddleware, failures_per_minute=settings.auth_failures_per_minute)
    ]
    # Limits (rate per caller, JSON bodies, body size): after authentication, so the rate
    # limit counts per principal.
    middleware += limit_middlewares(settings)
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=middleware,
        exception_handlers={GatewayError: gateway_error},
    )
