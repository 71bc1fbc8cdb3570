"""The JSON answer of a request refused at the HTTP edge, before any route runs.

The same body as every other REST error of the gateway (``gateway.errors.error_body``:
``{"error": {"message", "code", ..., "requestId"}}``), so a client reads one format
whatever refused it.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse
from starlette.types import Scope

from gateway.errors import GatewayError, error_body
from gateway.identity import principal_of, request_id_of


def refusal(
    exc: GatewayError,
    status_code: int,
    scope: Scope,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The response refusing the request of ``scope`` with ``exc``'s message and code.

    >>> from gateway.errors import BodyTooLarge
    >>> refusal(BodyTooLarge("too big"), 413, {}).body
    b'{"error":{"message":"too big","code":"BODY_TOO_LARGE"}}'
    """
    body = error_body(exc, request_id=request_id_of(scope), admin=principal_of(scope).is_admin)
    return JSONResponse(body, status_code=status_code, headers=dict(headers or {}))
