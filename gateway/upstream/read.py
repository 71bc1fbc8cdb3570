"""GET a JSON document from a product gateway, translating every failure once, here.

The registry reads only small documents (a product's metadata, the head of a contract),
so answers are read up to a size limit: a product cannot make the gateway swallow an
endless body.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from gateway.errors import UpstreamBadResponse, UpstreamTimeout, UpstreamUnavailable

# How much of an error answer is read to quote its message.
_ERROR_BODY_BYTES = 16_384


async def fetch_json(
    http: httpx.AsyncClient,
    url: str,
    *,
    what: str,
    max_bytes: int,
    product_id: str | None = None,
) -> Any:
    """The decoded JSON answer of ``GET url``; ``what`` names the document in messages.

    Raises :class:`UpstreamTimeout` or :class:`UpstreamUnavailable` when the server does
    not answer, :class:`UpstreamBadResponse` (with ``status``) for any status but 200, a
    body over ``max_bytes`` or a body that is not JSON. Timeouts are the client's.
    """
    try:
        async with http.stream("GET", url) as response:
            if response.status_code != 200:
                quoted = _error_message(await _read(response, _ERROR_BODY_BYTES))
                raise UpstreamBadResponse(
                    f"{what} at {url} answered HTTP {response.status_code}"
                    + (f": {quoted}" if quoted else ""),
                    product_id=product_id,
                    url=url,
                    status=response.status_code,
                )
            body = await _read(response, max_bytes)
            if body is None:
                raise UpstreamBadResponse(
                    f"{what} at {url} answered more than {max_bytes} bytes",
                    product_id=product_id,
                    url=url,
                )
    except httpx.TimeoutException as exc:
        raise UpstreamTimeout(
            f"{what} at {url} did not answer in time ({type(exc).__name__})",
            product_id=product_id,
            url=url,
        ) from exc
    except httpx.TransportError as exc:
        raise UpstreamUnavailable(
            f"{what} at {url} is unreachable ({type(exc).__name__}: {exc})",
            product_id=product_id,
            url=url,
        ) from exc
    except httpx.HTTPError as exc:  # e.g. a body that fails to decompress
        raise UpstreamBadResponse(
            f"{what} at {url} answered badly ({type(exc).__name__}: {exc})",
            product_id=product_id,
            url=url,
        ) from exc
    try:
        return json.loads(body)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
        kind = response.headers.get("content-type", "no content type")
        raise UpstreamBadResponse(
            f"{what} at {url} did not answer JSON ({kind})", product_id=product_id, url=url
        ) from None


async def _read(response: httpx.Response, limit: int) -> bytes | None:
    """At most ``limit`` bytes of the body, or None if it is longer."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _error_message(body: bytes | None) -> str:
    """The message of an ``{"error": {"message": ...}}`` body, else nothing."""
    if not body:
        return ""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) else ""
