"""A small REST face of the registry, for product gateways that register themselves
(``POST /discover/registration`` on a product relays to ``POST /registry/products``)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.errors import BadRequest, Unauthenticated
from gateway.identity import Principal, principal_of, request_id_of


def summary_json(product: Any) -> dict[str, Any]:
    """A registered product as JSON (dates in ISO 8601)."""

    def convert(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        return value

    data: dict[str, Any] = convert(dataclasses.asdict(product))
    data["key"] = product.key
    return data


async def register(request: Request) -> Response:
    actor = _signed_in(request, "registering a product")
    try:
        body = await request.json()
    except json.JSONDecodeError:
        raise BadRequest(
            'body: expected JSON like {"url": "http://host:port/discover/metadata"}'
        ) from None
    url = body.get("url") if isinstance(body, dict) else None
    if not isinstance(url, str):
        raise BadRequest("url: expected a string, the product's discovery URL", argument="url")
    registry = request.app.state.services.registry
    product = await registry.register(url, actor=actor, request_id=request_id_of(request.scope))
    return JSONResponse(summary_json(product), status_code=201)


async def list_products(request: Request) -> Response:
    products = await request.app.state.services.registry.list()
    return JSONResponse({"products": [summary_json(p) for p in products]})


async def unregister(request: Request) -> Response:
    actor = _signed_in(request, "unregistering a product")
    registry = request.app.state.services.registry
    product = await registry.unregister(
        request.path_params["id"], actor=actor, request_id=request_id_of(request.scope)
    )
    return JSONResponse(summary_json(product))


def _signed_in(request: Request, what: str) -> Principal:
    principal = principal_of(request.scope)
    if principal.anonymous:
        raise Unauthenticated(f"{what} needs a signed-in caller: a bearer token or an API key")
    return principal


def registration_routes() -> list[BaseRoute]:
    return [
        Route("/registry/products", register, methods=["POST"]),
        Route("/registry/products", list_products, methods=["GET"]),
        Route("/registry/products/{id}", unregister, methods=["DELETE"]),
    ]
