"""GET a JSON document from a product gateway, translating every failure once, here.

The registry reads only small documents (a product's metadata, the head of a contract),
so answers are read up to a size limit, and the whole exchange (connection, headers and
body) runs under one deadline: a product can make the gateway neither swallow an
endless body nor wait on one dripped a byte at a time.

What the caller is told is deliberately coarse: a refused connection, an HTTP error
status, a body too large, not JSON or nested too deeply (see
:mod:`gateway.upstream.jsondoc`) all read "did not answer with its document", with one
code. Otherwise registering ``http://some-host:port`` would tell a caller which
ports of which hosts are open (a port-scan oracle). The details (URL, status, the
connect error) go to the log.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, NamedTuple

import httpx

from gateway.errors import UpstreamAddressRefused, UpstreamTimeout, UpstreamUnavailable
from gateway.net.document_client import DocumentClient
from gateway.upstream.jsondoc import MAX_DEPTH, NotJson, decode

log = logging.getLogger(__name__)

# One fetch, connection to last byte, unless the caller says otherwise.
DEFAULT_TOTAL_TIMEOUT = 5.0
# How much of an error answer is read, to log its message.
_ERROR_BODY_BYTES = 16_384


class NoDocument(UpstreamUnavailable):
    """The product did not answer with the document asked for.

    ``status`` is the HTTP status when there was an answer (else None). It is kept for
    the breaker and the registry, and is deliberately not part of ``details``, which
    callers see.
    """

    def __init__(self, what: str, *, status: int | None, product_id: str | None) -> None:
        super().__init__(f"{what} did not answer with its document", product_id=product_id)
        self.status = status


class Answer(NamedTuple):
    """A decoded JSON answer and the size of the body it came from (what a cache counts)."""

    data: Any
    size: int


async def fetch_json(
    http: httpx.AsyncClient,
    url: str,
    *,
    what: str,
    max_bytes: int,
    product_id: str | None = None,
    deadline: float = DEFAULT_TOTAL_TIMEOUT,
) -> Any:
    """The decoded JSON answer of ``GET url``; ``what`` names the document in messages.

    Raises :class:`UpstreamTimeout` when the whole exchange takes more than
    ``deadline`` seconds (or a client timeout fires), :class:`UpstreamAddressRefused`
    when ``url`` resolves to an address the client may not call, and :class:`NoDocument`
    (code ``UPSTREAM_UNAVAILABLE``) for anything else: no connection, a status other
    than 200, a body over ``max_bytes``, a body that is not UTF-8 JSON or one nested
    deeper than :data:`~gateway.upstream.jsondoc.MAX_DEPTH` levels. No message carries
    ``url``; nothing else escapes.
    """
    answer = await fetch_document(
        http, url, what=what, max_bytes=max_bytes, product_id=product_id, deadline=deadline
    )
    return answer.data


async def fetch_document(
    http: httpx.AsyncClient,
    url: str,
    *,
    what: str,
    max_bytes: int,
    product_id: str | None = None,
    deadline: float = DEFAULT_TOTAL_TIMEOUT,
    max_depth: int = MAX_DEPTH,
) -> Answer:
    """:func:`fetch_json`, with the body's size in bytes."""
    try:
        async with asyncio.timeout(deadline):
            body, status, kind = await _get(http, url, max_bytes)
    except (TimeoutError, httpx.TimeoutException) as exc:
        log.warning("%s at %s: no answer in time (%s)", what, url, type(exc).__name__)
        raise UpstreamTimeout(f"{what} did not answer in time", product_id=product_id) from None
    except UpstreamAddressRefused as exc:
        raise UpstreamAddressRefused(exc.message, product_id=product_id) from None
    except httpx.HTTPError as exc:  # no connection, a broken answer, a bad encoding...
        log.warning("%s at %s: %s: %s", what, url, type(exc).__name__, exc)
        raise NoDocument(what, status=None, product_id=product_id) from None
    if status != 200:
        log.warning("%s at %s answered HTTP %s: %s", what, url, status, _error_message(body))
        raise NoDocument(what, status=status, product_id=product_id)
    if body is None:
        log.warning("%s at %s answered more than %s bytes", what, url, max_bytes)
        raise NoDocument(what, status=status, product_id=product_id)
    try:
        return Answer(decode(body, max_depth=max_depth), len(body))
    except NotJson as exc:
        log.warning("%s at %s did not answer JSON (%s): %s", what, url, kind, exc.reason)
        raise NoDocument(what, status=status, product_id=product_id) from None


async def _get(http: httpx.AsyncClient, url: str, max_bytes: int) -> tuple[bytes | None, int, str]:
    """(body or None when too long, status, content type) of ``GET url``."""
    if isinstance(http, DocumentClient):  # the gateway's own: no httpx objects per read
        status, headers, body = await http.read_document(url, max_bytes, _ERROR_BODY_BYTES)
        kind, encoding = "no content type", b"identity"
        for name, value in headers:
            lower = name.lower()
            if lower == b"content-type":
                kind = value.decode("latin-1")
            elif lower == b"content-encoding":
                encoding = value.strip().lower()
        if encoding != b"identity" and body is not None:
            # Asked for as they are (accept-encoding: identity): a compressed body is not
            # the document, whatever it would inflate to.
            log.warning("%s answered content-encoding %r, not asked for", url, encoding)
            raise httpx.DecodingError("a content encoding the gateway did not ask for")
        return body, status, kind
    async with http.stream("GET", url) as response:
        kind = response.headers.get("content-type", "no content type")
        limit = max_bytes if response.status_code == 200 else _ERROR_BODY_BYTES
        return await _read(response, limit), response.status_code, kind


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
        data = decode(body)
    except NotJson:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) else ""
