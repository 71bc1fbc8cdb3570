"""Relay-style pagination of products: opaque cursors over a stable order."""

from __future__ import annotations

import base64
import binascii

import strawberry

from gateway.errors import BadRequest
from schema.product import Product

_PREFIX = "offset:"


def encode_cursor(offset: int) -> str:
    """The opaque cursor of ``offset``: base64 so clients treat it as a token, not a number.

    >>> encode_cursor(3)
    'b2Zmc2V0OjM='
    """
    return base64.b64encode(f"{_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The offset a cursor stands for; a cursor not made here is a BadRequest."""
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
        if raw.startswith(_PREFIX) and raw[len(_PREFIX) :].isdigit():
            return int(raw[len(_PREFIX) :])
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise BadRequest(f"after: {cursor!r} is not a cursor from this API", argument="after")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    total_count: int
    edges: list[ProductEdge]
    page_info: PageInfo
