"""Opaque cursors over rows ordered newest first by (time, id), and the page-size check.

The audit log and the certification history page the same way: a cursor is the time and
id of the last row shown, with a prefix naming the list it belongs to, so a cursor of one
list (or one a client made up) is refused as a ``BadRequest`` rather than misread.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from gateway.errors import BadRequest
from gateway.stores import utc

MAX_ROW_ID = 2**63 - 1
"""The largest row id SQLite and PostgreSQL (bigint) have: a cursor naming a larger one
was made up, and is refused here rather than by a database driver's overflow."""


def check_page(first: int, most: int) -> None:
    """Refuse a page size outside 1..``most``."""
    if not 1 <= first <= most:
        raise BadRequest(f"first: expected 1 to {most}, got {first}", argument="first")


def encode(prefix: str, at: datetime, row_id: int | None) -> str:
    """The cursor after the row at ``at`` with id ``row_id``, in the list ``prefix``."""
    raw = f"{prefix}{utc(at).isoformat()}|{row_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode(prefix: str, cursor: str) -> tuple[datetime, int]:
    """The (time, id) a cursor of list ``prefix`` stands for; anything else is refused.

    >>> from datetime import UTC
    >>> decode("audit:", encode("audit:", datetime(2026, 1, 2, tzinfo=UTC), 7))[1]
    7
    >>> decode("cert:", encode("audit:", datetime(2026, 1, 2, tzinfo=UTC), 7))
    Traceback (most recent call last):
    ...
    gateway.errors.BadRequest: after: ... is not a cursor from this API
    """
    try:
        raw = base64.urlsafe_b64decode(cursor.encode()).decode()
        if raw.startswith(prefix):
            at, _, row_id = raw[len(prefix) :].rpartition("|")
            if 0 <= int(row_id) <= MAX_ROW_ID:
                return utc(datetime.fromisoformat(at)), int(row_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise BadRequest(f"after: {cursor!r} is not a cursor from this API", argument="after")
