"""The product gateway's Starlette app (``meshgate product serve DIR``).

``create_product_app`` loads the folder at once, so a folder that cannot be served fails
before the server starts; the app's lifespan opens what needs the event loop (event
delivery, the periodic certification check) and closes the stores at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.errors import GatewayError
from productkit.errors import ProductError
from productkit.http.routes import ENDPOINTS, Endpoint, Handler
from productkit.runtime import ProductRuntime, open_product
from productkit.settings import KitSettings

log = logging.getLogger(__name__)

#: How often the product re-checks its certification by itself (and tells subscribers).
CERTIFY_INTERVAL_SECONDS = 300.0


def create_product_app(
    product_dir: Path,
    *,
    server: str | None = None,
    token: str | None = None,
    env: Mapping[str, str] | None = None,
    root: Path | None = None,
    probe_ttl: float = 5.0,
    results_ttl: float = 30.0,
    certify_interval: float = CERTIFY_INTERVAL_SECONDS,
    settings: KitSettings | None = None,
) -> Starlette:
    """The app serving the product in ``product_dir``.

    Raises ``contracts.DocumentInvalid`` for an invalid folder and
    ``productkit.errors.ProductConfigError`` when its data cannot be reached as
    declared. ``env`` replaces the process environment for placeholders, the token and
    the kit's settings (``settings`` replaces those); the product is at
    ``app.state.product`` (a :class:`ProductRuntime`).
    """
    product = open_product(
        Path(product_dir), server=server, token=token, env=env, root=root,
        probe_ttl=probe_ttl, results_ttl=results_ttl, settings=settings,
    )  # fmt: skip

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The product's stores are open already: closed however the start or the server
        # ends, the certification timer first.
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(product.close)
            await product.open()
            task = asyncio.create_task(_certify_periodically(product, certify_interval))
            stack.push_async_callback(_stop, task)
            yield

    app = Starlette(
        routes=[_route(ep) for ep in ENDPOINTS],
        lifespan=lifespan,
        exception_handlers={
            GatewayError: _gateway_error,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
    )
    app.state.product = product
    return app


def _route(ep: Endpoint) -> Route:
    return Route(ep.path, _counted(ep.path, ep.handler), methods=[ep.method])


def _counted(path: str, handler: Handler) -> Handler:
    """Count each request of ``path`` (its template, not the concrete URL) in the metrics."""

    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status_code
            return response
        except ProductError as exc:
            status = exc.status
            raise
        except GatewayError:
            status = 400
            raise
        finally:
            product: ProductRuntime = request.app.state.product
            product.metrics.record_request(path, time.perf_counter() - started, status)

    endpoint.__doc__ = handler.__doc__
    return endpoint


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The one error shape: ``{"error": {"code", "message", ...}}``."""
    return {"error": {"code": code, "message": message, **extra}}


async def _gateway_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GatewayError)
    status = exc.status if isinstance(exc, ProductError) else 400
    details = {k: v for k, v in exc.details.items() if v is not None}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 429 and "retryAfter" in details:
        headers = {"Retry-After": str(details["retryAfter"])}
    return JSONResponse(
        error_body(exc.code, exc.message, **details), status_code=status, headers=headers
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(exc.status_code, "HTTP_ERROR")
    return JSONResponse(
        error_body(code, f"{request.method} {request.url.path}: {exc.detail}"),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _internal_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body("INTERNAL_ERROR", "internal error"), status_code=500)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _certify_periodically(product: ProductRuntime, interval: float) -> None:
    """Check the policies at regular intervals so subscribers hear of changes unasked."""
    while True:
        try:
            await product.certification()
        except Exception:  # a failed round must not end the loop; the next one may pass
            log.exception("periodic certification of %s failed", product.descriptor.id)
        await asyncio.sleep(interval)
