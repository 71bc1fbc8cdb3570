"""Pages of a list: opaque cursors over a stable order, and the page info of a connection.

Shared by every connection of the graph (products, a product's ports), so a client pages
them all the same way.
"""

from __future__ import annotations

import base64
import binascii

import strawberry
from strawberry.types import Info

from gateway.errors import BadRequest

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


def page_size(info: Info, first: int) -> int:
    """``first`` when it is 0 to the operator's ``max_page_size``; else a BadRequest."""
    limit: int = info.context.services.settings.max_page_size
    if not 0 <= first <= limit:
        raise BadRequest(f"first: expected 0 to {limit}, got {first}", argument="first")
    return first
