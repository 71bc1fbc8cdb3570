"""The composition root: the HTTP edge (``gateway.http``) joined with the graph.

``meshgate serve`` runs ``uvicorn schema.asgi:create_app --factory``.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.asgi import GraphQL

from gateway.http import graphiql
from gateway.http.app import create_http_app
from gateway.settings import Settings
from resolvers.context import RequestContext, new_context
from schema.build import build_schema

log = logging.getLogger(__name__)


class MeshGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's ASGI view with our per-request context and an offline GraphiQL."""

    async def get_context(self, request: Any, response: Any) -> RequestContext:
        return new_context(request.app.state.services, request, response)

    async def render_graphql_ide(self, request: Request) -> Response:
        html = graphiql.localize_graphiql_html(
            self.graphql_ide_html, graphiql.graphiql_assets_dir() is not None
        )
        return HTMLResponse(html)


def create_app(settings: Settings | None = None) -> Starlette:
    """The gateway app for ``settings`` (default: from ``MESHGATE_*`` variables)."""
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level.upper())
    view = MeshGraphQL(
        build_schema(settings), graphql_ide="graphiql" if settings.graphiql else None
    )
    return create_http_app(settings, view, extra_routes=graphiql.graphiql_routes())
