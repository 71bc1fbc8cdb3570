"""The composition root: the HTTP edge (``gateway.http``) joined with the graph.

``meshgate serve`` runs ``uvicorn schema.asgi:create_app --factory``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.unset import UNSET

from gateway.http import graphiql
from gateway.http.app import create_http_app
from gateway.identity import request_id_of
from gateway.logs import configure_logging
from gateway.settings import Settings
from gateway.values import to_json
from resolvers.context import RequestContext, new_context
from schema.build import build_schema

log = logging.getLogger(__name__)

# Codes of Strawberry's own HTTP refusals, by status (anything else is the caller's 400).
_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


class MeshGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's ASGI view with our per-request context and an offline GraphiQL."""

    async def get_context(self, request: Any, response: Any) -> RequestContext:
        return new_context(request.app.state.services, request, response)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Strawberry's refusals as our JSON errors; a mutation over GET is 405.

        Strawberry already runs only queries over GET (a link or an ``<img>`` on another
        site must not change anything); this gives that refusal the status of the
        GraphQL-over-HTTP spec and a stable code.
        """
        try:
            return await super().run(request, context, root_value)
        except HTTPException as exc:
            status, headers = exc.status_code, {}
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                status, headers = 405, {"Allow": "POST"}
            body: dict[str, Any] = {
                "message": exc.reason,
                "code": _CODES.get(status, "BAD_REQUEST"),
            }
            request_id = request_id_of(request.scope)
            if request_id is not None:
                body["requestId"] = request_id
            return JSONResponse({"error": body}, status_code=status, headers=headers)

    async def process_result(self, request: Any, result: Any) -> Any:
        """Every error names the request, also those raised before any extension ran."""
        answer = await super().process_result(request, result)
        request_id = request_id_of(request.scope)
        errors: Any = answer.get("errors") or []
        for error in errors:
            extensions = error.setdefault("extensions", {})
            extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
            if request_id is not None:
                extensions.setdefault("requestId", request_id)
        return answer

    def encode_json(self, data: object) -> str | bytes:
        """Strict JSON: a NaN or an infinity anywhere in the answer (a product's page parsed
        from a lenient upstream, say) becomes ``"NaN"`` / ``"Infinity"``, never a bare word
        that strict parsers refuse (``docs/values.md``)."""
        try:
            return json.dumps(data, separators=(",", ":"), allow_nan=False)
        except ValueError:
            return json.dumps(to_json(data), separators=(",", ":"), allow_nan=False)

    def decode_json(self, data: str | bytes) -> object:
        """A request body is a JSON object (or a batch list, which Strawberry refuses)."""
        decoded = super().decode_json(data)
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, 'expected a JSON object like {"query": "{ __typename }"}')
        return decoded

    async def render_graphql_ide(self, request: Request) -> Response:
        html = graphiql.localize_graphiql_html(
            self.graphql_ide_html, graphiql.graphiql_assets_dir() is not None
        )
        return HTMLResponse(html)


def create_app(settings: Settings | None = None) -> Starlette:
    """The gateway app for ``settings`` (default: from ``MESHGATE_*`` variables)."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    view = MeshGraphQL(
        build_schema(settings), graphql_ide="graphiql" if settings.graphiql else None
    )
    return create_http_app(settings, view, extra_routes=graphiql.graphiql_routes())
