"""Links in a product's answers are followed only under the product's registered base URL.

A product's answers (its metadata's contract hrefs, its health and artifacts links) are
third-party input. Followed anywhere, they would make the gateway fetch whatever a
product names, such as another product's private endpoint or a service the gateway can
reach and the caller cannot, and show the answer. So a link is followed only when it is
on the same scheme, host and port as the product's *base URL* and under its path.

The base URL is the URL the product was registered with, without ``/discover/metadata``
and without a trailing slash (see :func:`gateway.registry.urls.normalise_product_url`):
a product registered as ``http://h:8101/mesh/us/discover/metadata`` may link to
``http://h:8101/mesh/us/...`` and nothing else.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote, urlsplit

from gateway.errors import UpstreamLinkRefused

log = logging.getLogger(__name__)

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL without credentials, else None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    return scheme, parts.hostname.lower(), port if port is not None else _DEFAULT_PORTS[scheme]


def _segments(path: str) -> list[str] | None:
    """The decoded segments of a path, or None when it could climb out of its prefix."""
    decoded = unquote(path)
    if "\\" in decoded or "%" in decoded:  # a backslash, or something encoded twice
        return None
    segments = decoded.split("/")
    if any(s in (".", "..") for s in segments):
        return None
    return [s for s in segments if s]


def is_under_base(url: str, base: str) -> bool:
    """Whether ``url`` is on ``base``'s scheme, host and port and under its path.

    >>> is_under_base("http://h:1/mesh/us/contracts/c/1.0.0", "http://h:1/mesh/us")
    True
    >>> is_under_base("http://h:1/mesh/usa/x", "http://h:1/mesh/us")
    False
    >>> is_under_base("http://h:1/mesh/us/../eu/x", "http://h:1/mesh/us")
    False
    >>> is_under_base("http://h:2/mesh/us/x", "http://h:1/mesh/us")
    False
    """
    link, home = _origin(url), _origin(base)
    if link is None or home is None or link != home:
        return False
    link_path, home_path = _segments(urlsplit(url).path), _segments(urlsplit(base).path)
    if link_path is None or home_path is None:
        return False
    return link_path[: len(home_path)] == home_path


def require_under_base(url: str, base: str, *, what: str, product_id: str | None) -> str:
    """``url`` if :func:`is_under_base`, else raise :class:`UpstreamLinkRefused`.

    The message names neither URL: the caller learns that the product's link was
    refused, the log says which.
    """
    if is_under_base(url, base):
        return url
    log.warning("product %s: %s link %s is outside its base %s", product_id, what, url, base)
    raise UpstreamLinkRefused(
        f"the product links its {what} outside its registered base URL; not followed",
        product_id=product_id,
    )
