"""The OpenAPI 3.1 document of a product gateway, built from its route table.

Every answer has a schema: the routes name the models their handlers build
(:mod:`productkit.answers`), turned into ``components/schemas`` by
:mod:`productkit.schemagen`; documents of a standard (contracts, the product descriptor)
use the standard's vendored schema (:mod:`productkit.standards`). Every error status
answers the one :class:`productkit.answers.Error` shape.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contracts import ProductDescriptor
from productkit import answers
from productkit.schemagen import REF_PREFIX, schema_of

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


@dataclass(frozen=True)
class Described:
    """An answer whose schema is built with the document rather than from one model.

    ``build(defs, contract_versions)`` returns the schema, adding what it names to
    ``defs``; ``contract_versions`` are the ODCS ``apiVersion`` values the product serves.
    """

    description: str
    build: Callable[[dict[str, Any], Sequence[str]], dict[str, Any]]


def registry_answer(defs: dict[str, Any], versions: Sequence[str]) -> dict[str, Any]:
    """A registry's answer, relayed: any JSON (a body that is not JSON as ``{"text"}``)."""
    return {
        "description": "The registry's answer, relayed with its status (third-party JSON; "
        'a body that is not JSON comes as {"text": "..."})'
    }


def openapi_document(
    endpoints: Sequence[Endpoint],
    descriptor: ProductDescriptor,
    base: str,
    contract_versions: Sequence[str] = (),
) -> dict[str, Any]:
    """Every endpoint as an OpenAPI operation; the summary is its handler's docstring.

    ``contract_versions`` are the ODCS versions of the contracts the product serves: the
    contract route is described by those versions' schemas. ``paths`` and ``components``
    are shared between calls with the same routes and versions: read them, do not change
    them.
    """
    paths, defs = _described(tuple(endpoints), tuple(sorted(set(contract_versions))))
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
            "schemas": defs,
        },
    }


@functools.lru_cache(maxsize=8)
def _described(
    endpoints: tuple[Endpoint, ...], versions: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The paths and the named schemas, built once per route table and ODCS versions
    (why: the standards' schemas make this ~100 KB, and anyone may ask for it)."""
    defs: dict[str, Any] = {}
    schema_of(answers.Error, defs)
    paths: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep, defs, versions)
    return paths, dict(sorted(defs.items()))


def _operation(ep: Endpoint, defs: dict[str, Any], versions: Sequence[str]) -> dict[str, Any]:
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
        "responses": {str(code): _response(ep, code, defs, versions) for code in ep.statuses},
    }
    if isinstance(ep.answer, Described) and ep.answer.build is registry_answer:
        op["responses"]["default"] = _response(ep, 200, defs, versions)
    if ep.body is not None:
        body = schema_of(ep.body, defs)
        op["requestBody"] = {
            "required": bool(defs[ep.body.__name__].get("required")),
            "content": {"application/json": {"schema": body}},
        }
    if ep.auth:
        op["security"] = [{"bearer": []}]
    return op


def _response(
    ep: Endpoint, code: int, defs: dict[str, Any], versions: Sequence[str]
) -> dict[str, Any]:
    if code >= 400:
        error = {"$ref": REF_PREFIX + answers.Error.__name__}
        return {
            "description": _DESCRIPTIONS.get(code, "Error"),
            "content": {"application/json": {"schema": error}},
        }
    if isinstance(ep.answer, Described):
        schema, text = ep.answer.build(defs, versions), ep.answer.description
    else:
        schema = schema_of(ep.answer, defs)
        text = _DESCRIPTIONS.get(code, "Answer")
    return {"description": text, "content": {m: {"schema": schema} for m in ep.media_types}}


def _operation_id(ep: Endpoint) -> str:
    words = re.findall(r"[A-Za-z0-9]+", ep.path)
    return ep.method.lower() + "".join(w[:1].upper() + w[1:] for w in words)
