"""The HTTP limits of the gateway, as one ordered list of Starlette middleware.

Order (outermost first): the per-caller rate and concurrency limit, then JSON-only bodies,
then the body size cap; a WebSocket's messages meet the body cap and the rate per
connection (``ws_guard``). The list goes after the authentication middleware in
``create_http_app``, so the rate limit sees who the caller is.
"""

from __future__ import annotations

from starlette.middleware import Middleware

from gateway.http.body_limit import BodyLimit
from gateway.http.json_only import JsonOnly
from gateway.http.rate_limit import CallerLimit
from gateway.http.ws_guard import WebSocketLimits
from gateway.settings import Settings
from gateway.throttle import CallerLimiter


def limit_middlewares(settings: Settings) -> list[Middleware]:
    """The limit middleware for ``settings``; a fresh per-caller state for each app."""
    limiter = CallerLimiter(settings.rate_limit_per_minute, settings.max_concurrent_requests)
    stack = [Middleware(CallerLimit, limiter=limiter)] if limiter.enabled else []
    stack += [
        Middleware(JsonOnly),
        Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
        Middleware(
            WebSocketLimits,
            max_bytes=settings.max_body_bytes,
            per_minute=settings.rate_limit_per_minute,
        ),
    ]
    return stack
