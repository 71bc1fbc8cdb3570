"""Authentication at the door: every HTTP request gets a principal and a request id.

A pure ASGI middleware (so streamed responses pass untouched): it reads the credentials,
asks the app's :class:`~gateway.identity.Authenticator` who is calling, and records the
principal and a fresh request id in the scope (``gateway.identity.scope``). Wrong
credentials answer 401 here; missing ones make the caller anonymous, and what anonymous
callers may do is decided by ``MESHGATE_ANONYMOUS_ACCESS`` (here: ``none`` closes every
door but the health check and the GraphiQL page) and by each field.
"""

from __future__ import annotations

import logging
import uuid

from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import GatewayError, RateLimited, Unauthenticated, error_body
from gateway.identity import ANONYMOUS, bind
from gateway.identity.connection import FAILURE_KEY
from gateway.throttle import CallerLimiter

log = logging.getLogger(__name__)

# Paths anonymous callers reach even with MESHGATE_ANONYMOUS_ACCESS=none.
_ALWAYS_OPEN = ("/assets/graphiql/",)


class AuthMiddleware:
    """``failures_per_minute`` wrong credentials per client address; past them, requests
    with credentials from that address answer 429 before any check (guessing keys or
    replaying stolen tokens is slowed down; the rate limit after this one counts callers
    only once they are known)."""

    def __init__(self, app: ASGIApp, failures_per_minute: int = 30) -> None:
        self.app = app
        self.failures = CallerLimiter(per_minute=failures_per_minute, concurrent=0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        services = scope["app"].state.services
        headers = Headers(scope=scope)
        address = _address(scope)
        if "authorization" in headers or "x-api-key" in headers:
            blocked = self.failures.spent(address)
            if blocked is not None:
                exc = RateLimited(
                    f"too many wrong credentials from this address; retry after "
                    f"{blocked.retry_after} s",
                    retryAfter=blocked.retry_after,
                )
                retry = {"retry-after": str(blocked.retry_after)}
                await _refuse(exc, request_id, scope, receive, send, status=429, headers=retry)
                return
        try:
            principal = await services.authenticator.authenticate(headers)
            closed = services.settings.anonymous_access == "none"
            if principal.anonymous and closed and not _open_anonymously(scope):
                raise Unauthenticated("credentials needed: a bearer token or an API key")
        except Unauthenticated as exc:
            log.info("request %s refused: %s", request_id, exc.message)
            if "authorization" in headers or "x-api-key" in headers:
                self.failures.admit(address)  # spends one of the address's failures
                self.failures.release(address)
            await _refuse(exc, request_id, scope, receive, send)
            return
        bind(scope, principal, request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("X-Request-Id", request_id)
            await send(message)

        await self.app(scope, receive, send_with_id)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A WebSocket is anonymous until its ``connection_init`` (the credentials may come
        in its payload, see ``gateway.identity.connection``); the view authenticates it
        then and counts wrong credentials here, against the address's failure budget.
        An address past its budget is refused at the handshake (403)."""
        address = _address(scope)
        if self.failures.spent(address) is not None:
            log.info("WebSocket from a blocked address refused (too many wrong credentials)")
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.close", "code": 1008})
            return

        def failed() -> None:
            self.failures.admit(address)  # spends one of the address's failures
            self.failures.release(address)

        bind(scope, ANONYMOUS, uuid.uuid4().hex)
        scope[FAILURE_KEY] = failed
        await self.app(scope, receive, send)


def _open_anonymously(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    if path in ("/", "/healthz") or path.startswith(_ALWAYS_OPEN):
        return True
    # The GraphiQL page itself: a GET without a `query` parameter, decoded as the view
    # decodes it (a percent-encoded name is still `query`); never a GraphQL operation.
    params = QueryParams(scope.get("query_string", b""))
    return path == "/graphql" and scope["method"] == "GET" and "query" not in params


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def _refuse(
    exc: GatewayError,
    request_id: str,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    status: int = 401,
    headers: dict[str, str] | None = None,
) -> None:
    # The caller is not known yet: the body is a non-admin's (gateway.errors.error_body).
    extra = headers or {"www-authenticate": 'Bearer realm="meshgate"'}
    response = JSONResponse(
        error_body(exc, request_id=request_id),
        status_code=status,
        headers={"x-request-id": request_id, **extra},
    )
    await response(scope, receive, send)
