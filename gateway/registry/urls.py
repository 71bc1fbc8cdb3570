"""Normalise the URL a product team registers: its base URL or its metadata URL."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from gateway.errors import BadRequest

METADATA_PATH = "/discover/metadata"
_EXPECTED = (
    "expected the http(s) URL of a product gateway, such as http://host:port or "
    f"http://host:port{METADATA_PATH}"
)


@dataclass(frozen=True)
class ProductUrls:
    """Where a product's gateway lives (``base``) and its discovery endpoint (``metadata``)."""

    base: str
    metadata: str


def normalise_product_url(url: str) -> ProductUrls:
    """The base and metadata URLs of a product given either of them.

    Scheme and host are lower-cased and a trailing slash is dropped, so that the same
    product registered twice is stored under the same link.

    >>> normalise_product_url("HTTP://Example.org:8001/").metadata
    'http://example.org:8001/discover/metadata'
    >>> normalise_product_url("http://h/mesh/us/discover/metadata").base
    'http://h/mesh/us'
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError when the port is not a number
    except ValueError as exc:
        raise BadRequest(f"{url!r} is not a valid URL ({exc}); {_EXPECTED}", url=url) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"{url!r} is not a product URL; {_EXPECTED}", url=url)
    if parts.username is not None or parts.password is not None:
        # The registry shows its links to everyone: credentials must not end up there.
        raise BadRequest(f"{url!r} carries credentials; {_EXPECTED} without user:password@")
    if parts.query or parts.fragment:
        raise BadRequest(f"{url!r} has a query or fragment; {_EXPECTED}", url=url)
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    path = parts.path.rstrip("/")
    if path.endswith(METADATA_PATH):
        path = path[: -len(METADATA_PATH)]
    base = urlunsplit((parts.scheme.lower(), netloc, path, "", ""))
    return ProductUrls(base=base, metadata=base + METADATA_PATH)
