"""Times as the product gateway writes them: ISO 8601 in UTC with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.values.moments import as_utc


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """``moment`` as ``2026-11-23T20:36:16Z`` (a naive time is UTC: it has no source
    zone, see :mod:`gateway.values.moments`).

    >>> from datetime import datetime
    >>> iso(datetime(2026, 11, 23, 20, 36, 16, 500))
    '2026-11-23T20:36:16Z'
    """
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
