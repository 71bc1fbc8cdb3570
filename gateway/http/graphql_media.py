"""Which media type a GraphQL answer goes out in, and the status that goes with it.

The GraphQL-over-HTTP spec (graphql/graphql-over-http, ``spec/GraphQLOverHTTP.md``)
names two response types. ``application/graphql-response+json`` is the preferred one: its
status tells a request error (the document does not parse or validate, variables do not
coerce: 4xx, no ``data``) from an executed operation (200, even with field errors), so a
client can trust a 4xx to come from the server and not from a proxy. ``application/json``
is the legacy one: 200 for every well-formed request, whatever its errors.

Plain functions over header values, no framework: the view in ``schema.asgi`` asks them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# What the spec says a server does with a request that names no Accept at all, from
# 1 January 2025 ("Legacy watershed").
DEFAULT = GRAPHQL_RESPONSE
# The header value of each type on the way out; JSON is UTF-8 by its own RFC (8259), the
# spec asks the newer type to say so.
CONTENT_TYPE = {GRAPHQL_RESPONSE: f"{GRAPHQL_RESPONSE}; charset=utf-8", JSON: JSON}

# What a client asks for when it wants a subscription or an incremental answer streamed
# over HTTP, which this gateway does not serve (subscriptions go over the WebSocket).
# Such a request is answered in JSON rather than refused with 406, so it reaches the
# validation rule that says where subscriptions go (``WRONG_TRANSPORT``): the spec allows
# disregarding an Accept header, and that message helps more than a bare 406.
STREAMS = ("multipart/mixed", "text/event-stream")

# Status of a request error (no ``data``) by its code; any other code is the caller's 400.
_REQUEST_ERROR_STATUS = {
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "RATE_LIMITED": 429,
    "INTERNAL_ERROR": 500,
}


@dataclass(frozen=True)
class _Range:
    """One media range of an Accept header: ``type/subtype``, its weight, its place."""

    kind: str
    q: float
    index: int
    charset: str | None


def negotiate(accept: str | None) -> str | None:
    """The media type to answer a GraphQL request with, or None if ``accept`` allows
    neither (the spec recommends 406 then).

    By weight (``q``) first; between equal weights, a type the client names beats one it
    reaches through a wildcard, and of two named types the one listed first wins. A bare
    wildcard (``*/*``, ``application/*``: curl, browsers, most HTTP libraries) gets the
    legacy ``application/json``, which every client of before the spec understands. No
    Accept header at all: the spec's default since 2025, ``application/graphql-response+json``.
    An Accept of streamed answers only (:data:`STREAMS`): ``application/json``.

    >>> negotiate("application/graphql-response+json, application/json;q=0.9")
    'application/graphql-response+json'
    >>> negotiate("*/*")
    'application/json'
    >>> negotiate("application/json, */*;q=0.5")
    'application/json'
    >>> negotiate(None)
    'application/graphql-response+json'
    >>> negotiate("text/html") is None
    True
    >>> negotiate("multipart/mixed")
    'application/json'
    """
    if accept is None or not accept.strip():
        return DEFAULT
    ranges = list(_parse(accept))
    best: tuple[float, bool, int, bool] | None = None
    chosen: str | None = None
    for candidate in (GRAPHQL_RESPONSE, JSON):
        deciding = _deciding_range(candidate, ranges)
        if deciding is None or deciding.q <= 0:
            continue
        named = deciding.kind == candidate
        # Last element: a tie in everything else goes to the legacy type.
        key = (deciding.q, named, -deciding.index, candidate == JSON)
        if best is None or key > best:
            best, chosen = key, candidate
    if chosen is None and any(r.kind in STREAMS and r.q > 0 for r in ranges):
        return JSON
    return chosen


def status_of_request_error(codes: Iterable[str]) -> int:
    """The status of a GraphQL response without ``data`` (a request error) in
    ``application/graphql-response+json``: 400, unless every error says the caller is not
    let in (401, 403), is over its rate (429) or met a fault of ours (500).

    >>> status_of_request_error(["GRAPHQL_VALIDATION_FAILED", "QUERY_TOO_COSTLY"])
    400
    >>> status_of_request_error(["FORBIDDEN"])
    403
    """
    statuses = {_REQUEST_ERROR_STATUS.get(code, 400) for code in codes}
    return statuses.pop() if len(statuses) == 1 else 400


def _deciding_range(candidate: str, ranges: list[_Range]) -> _Range | None:
    """The most specific range that matches ``candidate`` (RFC 9110 12.5.1): the type
    itself, then ``application/*``, then ``*/*``. A range asking for a charset other
    than UTF-8 (the only one served) does not match."""
    family = candidate.split("/", 1)[0] + "/*"
    for kind in (candidate, family, "*/*"):
        matching = [r for r in ranges if r.kind == kind and r.charset in (None, "utf-8")]
        if matching:
            return max(matching, key=lambda r: (r.charset is not None, r.q))
    return None


def _parse(accept: str) -> Iterable[_Range]:
    """The ranges of an Accept value; one that does not parse is skipped (a client's
    typo must not make the whole header unacceptable)."""
    for index, part in enumerate(accept.split(",")):
        kind, *params = (p.strip() for p in part.split(";"))
        kind = kind.lower()
        if kind.count("/") != 1:
            continue
        q, charset = 1.0, None
        for param in params:
            name, _, value = param.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"').lower()
            if name == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = -1.0
            elif name == "charset":
                charset = value
        if q >= 0:
            yield _Range(kind, q, index, charset)
