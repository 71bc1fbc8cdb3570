"""State-changing requests carry JSON, and nothing else.

A web page on any site can make a browser send a ``POST`` with a "simple" content type
(``text/plain``, ``application/x-www-form-urlencoded``, ``multipart/form-data``) without a
CORS preflight: that is how a cross-site form registers a product (CSRF). A body declared
``application/json`` needs a preflight, which this gateway never grants, so requiring it
on every ``POST``, ``PUT`` and ``PATCH`` closes that door for every route at once
(``/graphql``, ``/registry/products``, ``/sql/stream``). ``DELETE`` carries no body and is
never "simple", so a browser always preflights it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.errors import UnsupportedMediaType
from gateway.http.refusal import refusal

JSON_MEDIA_TYPE = "application/json"
WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def media_type(content_type: str) -> str:
    """The essence of a ``Content-Type`` value: type/subtype, lower-case, no parameters.

    >>> media_type("Application/JSON; charset=utf-8")
    'application/json'
    """
    return content_type.split(";", 1)[0].strip().lower()


class JsonOnly:
    """Pure ASGI middleware: answer 415 to a body-carrying request that is not JSON."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in WITH_BODY:
            declared = _header(scope, b"content-type")
            if media_type(declared) != JSON_MEDIA_TYPE:
                shown = media_type(declared) or "none"
                exc = UnsupportedMediaType(
                    f"the body must be {JSON_MEDIA_TYPE}, got {shown[:80]}",
                    expected=JSON_MEDIA_TYPE,
                )
                await refusal(exc, 415, scope, {"Accept-Post": JSON_MEDIA_TYPE})(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""
