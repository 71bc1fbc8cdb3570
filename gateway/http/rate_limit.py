"""``429 RATE_LIMITED`` for a caller over its rate or its count of requests in flight.

The caller is the authenticated principal when the authentication middleware (placed
before this one) has put one in the ASGI scope, else the client's address as the server
sees it (behind a proxy, configure the server to trust its forwarded headers, or every
caller is the proxy). ``/healthz`` is never limited: orchestrators probe it.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.errors import RateLimited
from gateway.http.refusal import refusal
from gateway.identity import principal_of
from gateway.throttle import CallerLimiter

EXEMPT_PATHS = frozenset({"/healthz"})


def caller_key(scope: Scope) -> str:
    """Whom a request counts against: ``principal:<issuer>:<subject>`` or ``address:<ip>``.

    >>> caller_key({"client": ("10.0.0.7", 51000)})
    'address:10.0.0.7'
    """
    principal = principal_of(scope)
    if not principal.anonymous:
        return f"principal:{principal.kind}:{principal.issuer or ''}:{principal.subject}"
    client = scope.get("client")
    return f"address:{client[0]}" if client else "address:unknown"


class CallerLimit:
    """Pure ASGI middleware around :class:`gateway.throttle.CallerLimiter`."""

    def __init__(self, app: ASGIApp, limiter: CallerLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        key = caller_key(scope)
        refused = self.limiter.admit(key)
        if refused is not None:
            exc = RateLimited(
                f"too many requests: {refused.reason}; retry after {refused.retry_after} s",
                **_details({"retryAfter": refused.retry_after}),
            )
            headers = {"Retry-After": str(refused.retry_after)}
            await refusal(exc, 429, scope, headers)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.limiter.release(key)


def _details(values: dict[str, Any]) -> dict[str, Any]:
    """Extension fields in the API's camelCase (``GatewayError`` passes them through)."""
    return values
