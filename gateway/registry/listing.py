"""Where a page of the product list starts: the listing key of the last product shown
(keyset pagination), and the opaque cursor that carries it.

The list is ordered by (domain, case-folded name, name, id), unique because the id is. A
page after a cursor is ``WHERE (domain, sort_name, name, id) > key``, which both stores
answer by walking their listing index from the key: a page 10,000 products deep costs what
the first one does, where an ``OFFSET`` reads (PostgreSQL: from the table) every product it
skips. A product registered or removed between two pages moves no other product's place.

A cursor is base64url of JSON ``{"k": key, "f": filter}``, bound to the filter of the list
it came from: one of another list (another filter, a product's ports, a SQL result), made
up, or holding a text no store can compare (too long, a NUL, a lone surrogate) is a
``BadRequest`` naming ``after``, never an engine error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import NamedTuple

from gateway.errors import BadRequest
from gateway.registry.model import RegisteredProduct

MAX_KEY_TEXT = 1024
"""The longest text of a key a cursor may hold: longer than any domain, name or id a
product registers with (each a short label), so only a made-up cursor has one."""


class ListingKey(NamedTuple):
    """A product's place in the listing order."""

    domain: str
    sort_name: str
    name: str
    id: str


def listing_key(product: RegisteredProduct) -> ListingKey:
    """Where ``product`` stands in the list (the stores' ``sort_name`` is ``casefold``)."""
    return ListingKey(product.domain, product.name.casefold(), product.name, product.id)


def filter_mark(domain: str | None, tag: str | None, text: str | None) -> str:
    """What a cursor is bound to: the list's filter (short hash, not the filter itself).

    >>> filter_mark(None, None, None) == filter_mark(None, None, None)
    True
    >>> filter_mark("a", None, None) == filter_mark(None, "a", None)
    False
    """
    text_of = json.dumps([domain, tag, text], ensure_ascii=True)
    return hashlib.sha256(text_of.encode()).hexdigest()[:16]


def encode_after(key: ListingKey, mark: str) -> str:
    """The cursor of the product at ``key`` in the list of filter ``mark``.

    >>> k = ListingKey("geo", "rain", "Rain", "p1")
    >>> decode_after(encode_after(k, "m"), "m") == k
    True
    """
    raw = json.dumps({"k": list(key), "f": mark}, separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_after(cursor: str, mark: str) -> ListingKey:
    """The key in ``cursor``; ``BadRequest`` naming ``after`` unless it is a cursor of the
    list whose filter is ``mark``.

    >>> decode_after(encode_after(ListingKey("a", "b", "B", "i"), "m"), "other")
    Traceback (most recent call last):
    ...
    gateway.errors.BadRequest: after: the cursor belongs to another list (another filter)
    """
    if len(cursor) > 8 * MAX_KEY_TEXT:
        raise _not_ours()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        parts, bound = data["k"], data["f"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise _not_ours() from None
    if not (isinstance(parts, list) and len(parts) == len(ListingKey._fields)):
        raise _not_ours()
    if not all(_comparable(part) for part in parts):
        raise _not_ours()
    key = ListingKey(*parts)
    if key.sort_name != key.name.casefold():
        raise _not_ours()  # no product has this place: the cursor was made up
    if bound != mark:
        raise BadRequest(
            "after: the cursor belongs to another list (another filter)", argument="after"
        )
    return key


def _comparable(part: object) -> bool:
    """A text both stores compare: bounded, no NUL (PostgreSQL text holds none), valid
    UTF-8 (no lone surrogate, which JSON can spell)."""
    if not isinstance(part, str) or len(part) > MAX_KEY_TEXT or "\x00" in part:
        return False
    try:
        part.encode()
    except UnicodeEncodeError:
        return False
    return True


def _not_ours() -> BadRequest:
    return BadRequest("after: not a cursor this API returned", argument="after")
