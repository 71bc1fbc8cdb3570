"""The composition root: the HTTP edge (``gateway.http``) joined with the graph.

``meshgate serve`` runs ``uvicorn schema.asgi:create_served_app --factory``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema import Schema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from gateway.errors import GatewayError, NotAcceptable, Unauthenticated
from gateway.heap import HeapSettler, settle_heap
from gateway.http import graphiql
from gateway.http.app import create_http_app
from gateway.http.graphql_media import (
    CONTENT_TYPE,
    GRAPHQL_RESPONSE,
    JSON,
    negotiate,
    status_of_request_error,
)
from gateway.http.refusal import refusal
from gateway.identity import bind, request_id_of
from gateway.identity.connection import authenticate_connection, note_failure
from gateway.logs import configure_logging
from gateway.notify.live import caller_key
from gateway.result_cache import ResultCache
from gateway.services import Services
from gateway.settings import Settings
from gateway.values import to_json
from resolvers.context import RequestContext, new_context
from schema.build import build_schema
from schema.cached_answers import REFRESH_MAX_AGE, caller_of, may_keep
from schema.document_cache import KnownDocuments

log = logging.getLogger(__name__)

# Where a WebSocket's seat among its caller's connections is kept until it ends.
_SEAT_KEY = "meshgate.ws_seat"

# Where the media type chosen for a request's answer is kept (``gateway.http.graphql_media``).
_MEDIA_KEY = "meshgate.graphql_media"

# Codes of Strawberry's own HTTP refusals, by status (anything else is the caller's 400).
_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


@dataclass
class _Encoded(ExecutionResult):
    """An answer already encoded (kept, or built and kept now): sent as it is."""

    body: bytes = b""


class EncodedAnswer(dict[str, Any]):
    """What ``process_result`` makes of an ``_Encoded``: ``encode_json`` sends its body.
    It holds ``data`` (its value unused) so that it is not taken for a request error."""

    def __init__(self, body: bytes) -> None:
        super().__init__(data=None)
        self.body = body


class MeshGraphQL(GraphQL[RequestContext, None]):
    """Strawberry's ASGI view with our per-request context, an offline GraphiQL and the
    answers kept whole (``gateway.result_cache``, ``schema.cached_answers``)."""

    def __init__(
        self, schema: Schema, *, known: KnownDocuments | None = None, **options: Any
    ) -> None:
        """``known``: the schema's parsed texts, if it has some (else parsed here)."""
        super().__init__(schema, **options)
        self.known = known if known is not None else KnownDocuments()
        self.graphql_schema = schema._schema

    async def get_context(self, request: Any, response: Any) -> RequestContext:
        return new_context(request.app.state.services, request, response)

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        """Who holds this WebSocket: its upgrade request's credentials or those of its
        ``connection_init`` payload, checked as HTTP's are. Live subscriptions are for
        identified callers, so an anonymous connection is refused like a wrong token:
        closed with 4403 (graphql-transport-ws), before any subscription."""
        scope = context.request.scope
        request_id = request_id_of(scope) or ""
        try:
            principal = await authenticate_connection(
                context.services.authenticator, context.request.headers, context.connection_params
            )
        except Unauthenticated as exc:
            log.info("WebSocket %s refused: %s", request_id, exc.message)
            if exc.details.get("credentials"):
                note_failure(scope)
            raise ConnectionRejectionError() from None
        most = context.services.settings.ws_max_connections_per_caller
        seat = {f"sockets:{caller_key(principal)}": (most, "this caller")}
        try:
            context.services.notifier.live.seats.take(seat, "open WebSockets")
        except GatewayError as exc:
            log.info("WebSocket %s refused: %s", request_id, exc.message)
            raise ConnectionRejectionError() from None
        scope[_SEAT_KEY] = seat  # given back when the socket ends (run)
        bind(scope, principal, request_id)
        return {"requestId": request_id}

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if request.scope["type"] == "websocket":
            try:
                return await super().run(request, context, root_value)
            finally:  # the socket ended: its caller's seat is free again
                seat = request.scope.pop(_SEAT_KEY, None)
                if seat is not None:
                    request.app.state.services.notifier.live.seats.release(seat)
        return await self._run_http(request, context, root_value)

    async def _run_http(self, request: Any, context: Any, root_value: Any) -> Any:
        """Strawberry's refusals as our JSON errors; a mutation over GET is 405.

        Strawberry already runs only queries over GET (a link or an ``<img>`` on another
        site must not change anything); this gives that refusal the status of the
        GraphQL-over-HTTP spec and a stable code. The answer's media type is chosen here,
        from the Accept header, before anything runs: one the client cannot read is
        refused with 406, as the spec recommends (the GraphiQL page aside).
        """
        accept = request.headers.getlist("accept")
        media = negotiate(",".join(accept) if accept else None)
        ide = self.should_render_graphql_ide(self.request_adapter_class(request))
        if media is None and not ide:
            exc = NotAcceptable(
                f"the answer is {GRAPHQL_RESPONSE} or {JSON}; the Accept header allows neither",
                accepted=[GRAPHQL_RESPONSE, JSON],
            )
            return refusal(exc, 406, request.scope)
        request.scope[_MEDIA_KEY] = media or JSON
        try:
            return await super().run(request, context, root_value)
        except HTTPException as exc:
            if isinstance(exc.__cause__, CannotGetOperationTypeError):
                return await self._no_such_operation(request, exc.reason)
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

    async def _no_such_operation(self, request: Any, message: str) -> Response:
        """The document has no operation of the name given: a GraphQL request error
        (GetOperation), answered as one, with the status of its media type (200 in
        ``application/json``, 400 in ``application/graphql-response+json``)."""
        extensions: dict[str, Any] = {"code": "BAD_REQUEST"}
        request_id = request_id_of(request.scope)
        if request_id is not None:
            extensions["requestId"] = request_id
        answer: dict[str, Any] = {
            "data": None,
            "errors": [{"message": message, "extensions": extensions}],
        }
        if request.scope.get(_MEDIA_KEY) == GRAPHQL_RESPONSE:
            del answer["data"]
        return self.create_response(answer, await self.get_sub_response(request))

    async def execute_single(  # noqa: PLR0917 (Strawberry's signature)
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: Any,
        root_value: Any,
        request_data: Any,
    ) -> ExecutionResult:
        """A kept answer if there is one (an expired one while one refresh runs); else
        the operation runs, and its answer is kept if ``schema.cached_answers`` allows."""

        async def run() -> ExecutionResult:
            return await super(MeshGraphQL, self).execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )

        cache: ResultCache | None = context.services.result_cache
        if cache is None or not request_data.query or request_data.extensions:
            return await run()
        key = cache.key(
            request_data.query,
            request_data.operation_name,
            request_data.variables,
            caller_of(context.principal),
        )
        if key is None:
            return await run()
        hit = cache.get(key)
        if hit is not None and (
            hit.fresh
            or cache.refresh(key, lambda: self._rebuild(cache, key, request, request_data))
        ):
            return _Encoded(None, None, body=hit.body)
        under_way = cache.under_way(key)
        if under_way is not None:  # the same caller asks the same: one build for all
            body = await asyncio.shield(under_way)
            return _Encoded(None, None, body=body) if body is not None else await run()
        cache.begin(key)
        built: bytes | None = None
        try:
            result = await self._build(cache, key, request_data, context, run)
            built = result.body if isinstance(result, _Encoded) else None
            return result
        finally:
            cache.end(key, built)

    async def _rebuild(
        self, cache: ResultCache, key: bytes, request: Any, request_data: Any
    ) -> None:
        """Build a kept answer again, in the background, as the same caller (the same
        request scope: its principal)."""
        context = await self.get_context(request, Response())
        ttl = context.services.settings.cache_ttl_seconds
        context.loaders.max_age = ttl * REFRESH_MAX_AGE  # see REFRESH_MAX_AGE

        async def run() -> ExecutionResult:
            return await self.schema.execute(
                request_data.query,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types={OperationType.QUERY},
            )

        await self._build(cache, key, request_data, context, run)

    async def _build(
        self,
        cache: ResultCache,
        key: bytes,
        request_data: Any,
        context: RequestContext,
        run: Callable[[], Awaitable[ExecutionResult]],
    ) -> ExecutionResult:
        """Run the operation; keep its answer if it may be kept (see
        ``schema.cached_answers``): until the oldest document it read expires, under the
        epoch read before it ran (a change meanwhile leaves it unkept). An answer that may
        not be kept replaces what was kept: a product gone down is seen as such (its
        stale copy and warning) by the next caller, not hidden behind the older answer."""
        epoch = cache.epoch()
        result = await run()
        read = context.loaders.read
        if (
            result.errors
            or result.extensions
            or context.warnings
            or result.data is None
            or any(doc.stale for doc in read)
            or not may_keep(
                self.graphql_schema,
                self.known.parse(request_data.query),
                request_data.operation_name,
            )
        ):
            cache.drop(key)  # an older answer kept under it is not what it is now
            return result
        oldest = min((doc.fetched_at.timestamp() for doc in read), default=time.time())
        body = self.encode_json({"data": result.data})
        body = body.encode() if isinstance(body, str) else body
        cache.put(
            key,
            body,
            expires=oldest + context.services.settings.cache_ttl_seconds,
            epoch=epoch,
        )
        return _Encoded(None, None, body=body)

    async def parse_http_body(self, request: Any) -> Any:
        """Strawberry's parsing, and an ``operationName`` that is not a string (nor null)
        makes the request ill-formed (400), as the spec says; Strawberry would look for an
        operation of that "name" and answer as if the document lacked it."""
        data = await super().parse_http_body(request)
        name = getattr(data, "operation_name", None)
        if name is not None and not isinstance(name, str):
            raise HTTPException(
                400,
                "The GraphQL operation's `operationName` must be a string or null, if provided.",
            )
        return data

    async def process_result(self, request: Any, result: Any) -> Any:
        """Every error names the request, also those raised before any extension ran."""
        if isinstance(result, _Encoded):
            return EncodedAnswer(result.body)
        answer = await super().process_result(request, result)
        request_id = request_id_of(request.scope)
        errors: Any = answer.get("errors") or []
        for error in errors:
            extensions = error.setdefault("extensions", {})
            extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
            if request_id is not None:
                extensions.setdefault("requestId", request_id)
        if request.scope.get(_MEDIA_KEY) == GRAPHQL_RESPONSE and _is_request_error(result):
            # The spec's newer type: nothing was executed, so there is no `data` entry
            # (the legacy type keeps its `"data": null`, which clients of before expect).
            answer.pop("data", None)
        return answer

    async def get_sub_response(self, request: Any) -> Response:
        """The response under construction carries the media type chosen for it."""
        sub_response: Response = await super().get_sub_response(request)
        sub_response.media_type = request.scope.get(_MEDIA_KEY, JSON)
        return sub_response

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        """The answer in its negotiated media type. In ``application/graphql-response+json``
        a request error (no ``data``: the document does not parse or validate, a limit
        refuses it, its variables do not coerce) is a 4xx; in ``application/json`` every
        well-formed request stays 200, as legacy clients expect (GraphQL-over-HTTP spec,
        "Status Codes")."""
        response: Response = super().create_response(response_data, sub_response)
        media = sub_response.media_type or JSON
        response.headers["content-type"] = CONTENT_TYPE[media]
        request_error = isinstance(response_data, dict) and "data" not in response_data
        if media == GRAPHQL_RESPONSE and request_error:
            errors = response_data.get("errors") or []
            codes = [str(e.get("extensions", {}).get("code", "")) for e in errors]
            response.status_code = status_of_request_error(codes)
        return response

    def encode_json(self, data: object) -> str | bytes:
        """Strict JSON: a NaN or an infinity anywhere in the answer (a product's page parsed
        from a lenient upstream, say) becomes ``"NaN"`` / ``"Infinity"``, never a bare word
        that strict parsers refuse (``docs/values.md``)."""
        if isinstance(data, EncodedAnswer):
            return data.body
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


def _is_request_error(result: Any) -> bool:
    """Whether ``result`` is a GraphQL request error: errors and no data, none of them at
    a field's path (a field error that nulls the whole ``data`` has a path: it ran)."""
    errors = getattr(result, "errors", None) or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


def _origins(setting: str) -> tuple[str, ...]:
    """The browser origins allowed besides the gateway's own (``MESHGATE_WS_ALLOWED_ORIGINS``)."""
    return tuple(o.strip() for o in setting.split(",") if o.strip())


def create_served_app() -> Starlette:
    """``meshgate serve``'s app, one per process: :func:`create_app` from ``MESHGATE_*``
    variables, whose start-up heap is left out of the collector's scans once its services
    are open (gateway/heap.py)."""
    return create_app(on_ready=_settle)


def _settle(services: Services) -> None:
    settle_heap()
    settler = HeapSettler(asyncio.get_running_loop())
    settler.start()
    services.closer.callback(settler.close)


def create_app(
    settings: Settings | None = None, *, on_ready: Callable[[Services], None] | None = None
) -> Starlette:
    """The gateway app for ``settings`` (default: from ``MESHGATE_*`` variables);
    ``on_ready`` is called with its services once they are open."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    known = KnownDocuments()  # parsed and validated texts, shared by every request
    view = MeshGraphQL(
        build_schema(settings, known),
        known=known,
        graphql_ide="graphiql" if settings.graphiql else None,
        # WebSocket: graphql-transport-ws only (the legacy graphql-ws protocol has no
        # init deadline of its own and is unmaintained); docs/notifications.md.
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        connection_init_wait_timeout=timedelta(seconds=settings.ws_connection_init_seconds),
        # Our own per-connection limit answers with a stable code (resolvers/live.py);
        # Strawberry's, one above it, only backs it up.
        max_subscriptions_per_connection=settings.ws_max_subscriptions_per_connection + 1,
        allowed_origins=_origins(settings.ws_allowed_origins),
    )
    return create_http_app(
        settings, view, extra_routes=graphiql.graphiql_routes(), on_ready=on_ready
    )
