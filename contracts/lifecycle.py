"""A contract's end of support and end of life, from its SLA, as notices for its readers.

ODCS v3 states lifecycle dates as ``slaProperties`` (``{property: endOfSupport, value:
2030-01-01T04:00:00Z}``, likewise ``endOfLife``). A contract past one of these dates, or
within ``soon_days`` of it, is one its consumers must hear about: wherever the contract is
shown or its tables are read. Pure: the caller gives the moment ("now"), so the answer is
the same for the same inputs. A date that does not read (a free text, a number) gives no
notice; a date without a time is read as midnight UTC, a time without a zone as UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

__all__ = ["LifecycleNotice", "lifecycle_dates", "lifecycle_notices", "CODES"]

#: SLA property -> (what it means for readers, code when passed, code when near).
_DATES = {
    "endOfSupport": ("end of support", "end_of_support_passed", "end_of_support_near"),
    "endOfLife": ("end of life", "end_of_life_passed", "end_of_life_near"),
}
#: Every stable code this module gives.
CODES = tuple(code for _, *codes in _DATES.values() for code in codes)


@dataclass(frozen=True)
class LifecycleNotice:
    """One lifecycle date reached or near: which, when, and a sentence for people."""

    code: str
    property: str
    at: datetime
    path: str
    message: str


def lifecycle_notices(
    raw: Mapping[str, Any], now: datetime, soon_days: int
) -> list[LifecycleNotice]:
    """The notices of contract ``raw`` at ``now``: passed dates, and those within ``soon_days``.

    >>> doc = {"id": "c", "version": "1.0.0", "slaProperties": [
    ...     {"property": "endOfSupport", "value": "2026-01-10"},
    ...     {"property": "endOfLife", "value": "2030-01-01T00:00:00Z"}]}
    >>> [n.code for n in lifecycle_notices(doc, datetime(2026, 1, 1, tzinfo=UTC), 30)]
    ['end_of_support_near']
    >>> [n.code for n in lifecycle_notices(doc, datetime(2031, 1, 1, tzinfo=UTC), 30)]
    ['end_of_support_passed', 'end_of_life_passed']
    """
    items = raw.get("slaProperties")
    found: list[LifecycleNotice] = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, Mapping) or item.get("property") not in _DATES:
            continue
        moment = parse_moment(item.get("value"))
        if moment is None:
            continue
        name = str(item["property"])
        what, passed, near = _DATES[name]
        label = f"contract {raw.get('id')} version {raw.get('version')}"
        when = moment.isoformat().replace("+00:00", "Z")
        path = f"slaProperties[{index}]"
        if moment <= now:
            message = f"{label} is past its {what} ({when}): move to a supported version"
            found.append(LifecycleNotice(passed, name, moment, path, message))
        elif moment <= now + timedelta(days=soon_days):
            days = (moment - now).days
            message = f"{label} reaches its {what} on {when} (in {days} days)"
            found.append(LifecycleNotice(near, name, moment, path, message))
    return found


def lifecycle_dates(raw: Mapping[str, Any], most: int = 8) -> dict[str, Any]:
    """The part of contract ``raw`` that :func:`lifecycle_notices` reads (its id, version
    and lifecycle SLA properties, at most ``most``), small enough to keep beside each table
    the SQL catalog knows, so a query's notices need no fetch.

    >>> doc = {"id": "c", "version": "1", "slaProperties": [
    ...     {"property": "latency", "value": 3}, {"property": "endOfLife", "value": "2030"}]}
    >>> lifecycle_dates(doc)
    {'id': 'c', 'version': '1', 'slaProperties': [{'property': 'endOfLife', 'value': '2030'}]}
    """
    items = raw.get("slaProperties")
    kept = [
        {"property": i["property"], "value": i.get("value")}
        for i in (items if isinstance(items, list) else [])
        if isinstance(i, Mapping) and i.get("property") in _DATES
    ]
    return {"id": raw.get("id"), "version": raw.get("version"), "slaProperties": kept[:most]}


def parse_moment(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO date or date-time, else None.

    >>> parse_moment("2030-01-01T04:00:00Z"), parse_moment("2014-10-23").day
    (datetime.datetime(2030, 1, 1, 4, 0, tzinfo=datetime.timezone.utc), 23)
    >>> parse_moment("soon") is None, parse_moment(2030) is None
    (True, True)
    """
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None
        moment = datetime(day.year, day.month, day.day)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
