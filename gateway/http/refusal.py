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

# HTTP status of a refusal by code; any other code of ours is the caller's fault (400).
STATUS_BY_CODE = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "PRODUCT_NOT_FOUND": 404,
    "SQL_ENGINE_ERROR": 422,
    "SQL_MEMORY_LIMIT": 422,
    "SQL_RESULT_TOO_LARGE": 422,
    "INTERNAL_ERROR": 500,
    "ENGINE_UNAVAILABLE": 503,
    "PRODUCT_UNAVAILABLE": 503,
    "SQL_TIMEOUT": 504,
}


def status_of(exc: GatewayError) -> int:
    """The HTTP status that refuses with ``exc``.

    >>> from gateway.errors import Forbidden
    >>> status_of(Forbidden("no"))
    403
    """
    return STATUS_BY_CODE.get(exc.code, 400)


def refusal(
    exc: GatewayError,
    status_code: int | None,
    scope: Scope,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The response refusing the request of ``scope`` with ``exc``'s message and code
    (``status_code`` None: :func:`status_of` the error).

    >>> from gateway.errors import BodyTooLarge
    >>> refusal(BodyTooLarge("too big"), 413, {}).body
    b'{"error":{"message":"too big","code":"BODY_TOO_LARGE"}}'
    """
    body = error_body(exc, request_id=request_id_of(scope), admin=principal_of(scope).is_admin)
    status = status_of(exc) if status_code is None else status_code
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))
