"""The JSON answer of a request refused at the HTTP edge, before any route runs.

The same body shape as every other REST error of the gateway
(``{"error": {"message", "code", ...}}``), so a client reads one format whatever refused it.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

from gateway.errors import GatewayError


def refusal(
    exc: GatewayError, status_code: int, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The response refusing a request with ``exc``'s message and code.

    >>> from gateway.errors import BodyTooLarge
    >>> refusal(BodyTooLarge("too big"), 413).body
    b'{"error":{"message":"too big","code":"BODY_TOO_LARGE"}}'
    """
    body = {"error": {"message": exc.message, **exc.extensions}}
    return JSONResponse(body, status_code=status_code, headers=dict(headers or {}))
