"""The OpenAPI 3.1 document of a product gateway, built from its route table."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from contracts import ProductDescriptor

if TYPE_CHECKING:
    from productkit.http.routes import Endpoint

_PATH_PARAM = re.compile(r"\{([^}]+)\}")
_DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    400: "Bad request",
    401: "No bearer token",
    403: "Wrong bearer token (not the control token or this subscription's secret)",
    404: "Not found",
    409: "Not allowed in the current state, or a limit is reached",
    429: "Too many requests from this client: try again later",
    502: "The registry did not answer",
    503: "Paused, stopped, or the store is unavailable",
}
_TAGS = {
    "discover": "What the product is: definition, contracts, artifacts.",
    "observe": "How it is doing: health, metrics, observability results, events.",
    "certify": "Whether it meets the governance policies.",
    "control": "Change its state (bearer token).",
    "consume": "Its data.",
}


def openapi_document(
    endpoints: Sequence[Endpoint], descriptor: ProductDescriptor, base: str
) -> dict[str, Any]:
    """Every endpoint as an OpenAPI operation; the summary is its handler's docstring."""
    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{descriptor.name} ({descriptor.domain}): product gateway",
            "version": descriptor.versions[-1].version,
            "description": descriptor.purpose or "",
        },
        "servers": [{"url": base}],
        "tags": [{"name": name, "description": text} for name, text in _TAGS.items()],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                }
            },
        },
    }


def _operation(ep: Endpoint) -> dict[str, Any]:
    doc = (ep.handler.__doc__ or "").strip()
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(ep.path)
    ]
    params.extend(
        {"name": name, "in": "query", "required": False, "schema": {"type": kind},
         "description": text}
        for name, kind, text in ep.query
    )  # fmt: skip
    op: dict[str, Any] = {
        "operationId": _operation_id(ep),
        "summary": doc.splitlines()[0] if doc else ep.path,
        "tags": [ep.tag],
        "parameters": params,
        "responses": {str(code): _response(code) for code in ep.statuses},
    }
    if ep.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ep.body}},
        }
    if ep.auth:
        op["security"] = [{"bearer": []}]
    return op


def _response(code: int) -> dict[str, Any]:
    schema = {"$ref": "#/components/schemas/Error"} if code >= 400 else {"type": "object"}
    return {
        "description": _DESCRIPTIONS.get(code, "Answer"),
        "content": {"application/json": {"schema": schema}},
    }


def _operation_id(ep: Endpoint) -> str:
    words = re.findall(r"[A-Za-z0-9]+", ep.path)
    return ep.method.lower() + "".join(w[:1].upper() + w[1:] for w in words)
