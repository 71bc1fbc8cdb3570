"""What a timestamp without a zone means: one rule for the gateway and the kit.

A moment the gateway or the kit keeps or compares (freshness, ``lastUpdated``, usage and
audit times, registry times, ``since`` windows) is an aware datetime in UTC. Where a
naive one comes from decides what it means:

* **read from a source** (a database column such as MariaDB's ``DATETIME`` or
  PostgreSQL's ``timestamp``): it is the wall-clock time of that source's zone, the
  session time zone of the connection it was read on; a source with no zone (a file) is
  UTC. :func:`as_utc` with the source's ``zone``.
* **handed in by a caller** (a ``since`` argument, a time written into the registry,
  usage or audit stores): it is refused (:class:`NaiveTime`, ``BAD_REQUEST``), since its
  zone could only be guessed. :func:`given_utc`.

Values *shown* in answers (SQL rows, streams, a product's pages) are not moments: a
``timestamp`` column without a zone is written without an offset, as stored.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import UTC, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.errors import BadRequest


class NaiveTime(BadRequest, ValueError):
    """A time handed in without a zone (``2026-01-02T03:04:05``): its meaning is a guess."""


def as_utc(moment: dt.datetime, zone: tzinfo | None = None) -> dt.datetime:
    """``moment`` in UTC; a naive one is read as a wall-clock time in ``zone`` (the
    zone of the source it came from), UTC when the source has none.

    >>> plus2 = timezone(timedelta(hours=2))
    >>> as_utc(dt.datetime(2026, 6, 1, 12, 0), plus2).isoformat()
    '2026-06-01T10:00:00+00:00'
    >>> as_utc(dt.datetime(2026, 6, 1, 12, 0)).isoformat()
    '2026-06-01T12:00:00+00:00'
    >>> as_utc(dt.datetime(2026, 6, 1, 12, 0, tzinfo=plus2), UTC).isoformat()
    '2026-06-01T10:00:00+00:00'
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=zone or UTC)
    return moment.astimezone(UTC)


def date_as_utc(day: dt.date, zone: tzinfo | None = None) -> dt.datetime:
    """The start of ``day`` in ``zone`` (UTC when unknown), as an aware UTC datetime.

    >>> date_as_utc(dt.date(2024, 5, 1)).isoformat()
    '2024-05-01T00:00:00+00:00'
    """
    return as_utc(dt.datetime.combine(day, dt.time()), zone)


def given_utc(moment: dt.datetime, what: str = "a time") -> dt.datetime:
    """``moment`` in UTC when it says its zone; a naive time is refused.

    >>> given_utc(dt.datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))).hour
    0
    >>> given_utc(dt.datetime(2026, 1, 1), "since")
    Traceback (most recent call last):
    ...
    gateway.values.moments.NaiveTime: since must be timezone-aware (an offset or Z), ...
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveTime(f"{what} must be timezone-aware (an offset or Z), got {moment.isoformat()}")
    return moment.astimezone(UTC)


_OFFSET = re.compile(r"^([+-])(\d{1,2}):(\d{2})$")


def zone_named(name: str | None) -> tzinfo | None:
    """The zone a server names for its session (``+02:00``, ``Europe/Paris``, ``UTC``),
    or ``None`` when it is not one this machine knows (``SYSTEM``, an abbreviation).

    >>> str(zone_named("+05:30")), str(zone_named("-03:00")), str(zone_named("utc"))
    ('UTC+05:30', 'UTC-03:00', 'UTC')
    >>> str(zone_named("Europe/Paris")), zone_named("SYSTEM"), zone_named("CEST")
    ('Europe/Paris', None, None)
    """
    if not name:
        return None
    text = name.strip()
    if text.upper() in ("UTC", "Z", "GMT", "+00:00", "-00:00"):
        return UTC
    found = _OFFSET.match(text)
    if found:
        sign = -1 if found.group(1) == "-" else 1
        offset = timedelta(hours=int(found.group(2)), minutes=int(found.group(3)))
        return timezone(sign * offset)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return None
