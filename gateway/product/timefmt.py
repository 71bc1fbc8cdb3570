"""Times as the product gateway writes them: ISO 8601 in UTC with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """``moment`` as ``2026-11-23T20:36:16Z`` (naive times are taken as UTC).

    >>> from datetime import datetime
    >>> iso(datetime(2026, 11, 23, 20, 36, 16, 500))
    '2026-11-23T20:36:16Z'
    """
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%SZ")
