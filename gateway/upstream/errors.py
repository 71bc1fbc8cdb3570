"""Translate httpx failures into the gateway's error tree, once, at the boundary."""

from __future__ import annotations

import httpx

from gateway.errors import UpstreamBadResponse, UpstreamError, UpstreamTimeout, UpstreamUnavailable


def translate_http_error(exc: Exception, url: str, product_id: str | None) -> UpstreamError:
    """The :class:`UpstreamError` a client sees for ``exc`` raised while fetching ``url``.

    >>> translate_http_error(httpx.ConnectError("refused"), "http://x/", "p1").code
    'UPSTREAM_UNAVAILABLE'
    """
    if isinstance(exc, UpstreamError):
        return exc
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamTimeout(
            f"product gateway at {url} did not answer in time", product_id=product_id, url=url
        )
    if isinstance(exc, httpx.HTTPStatusError):
        status = exc.response.status_code
        return UpstreamBadResponse(
            f"product gateway at {url} answered HTTP {status}",
            product_id=product_id,
            url=url,
            status=status,
        )
    if isinstance(exc, httpx.TransportError):
        return UpstreamUnavailable(
            f"product gateway at {url} is unreachable: {type(exc).__name__}",
            product_id=product_id,
            url=url,
        )
    if isinstance(exc, ValueError):  # JSON decoding
        return UpstreamBadResponse(
            f"product gateway at {url} did not answer JSON", product_id=product_id, url=url
        )
    return UpstreamError(
        f"product gateway at {url} failed: {type(exc).__name__}", product_id=product_id, url=url
    )
