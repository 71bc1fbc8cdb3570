"""What a contract promises in its ODCS v3 ``slaProperties``, read by the gateway itself.

Only the properties health is judged on are read: durations (latency, frequency,
retention), a share (availability) and dates (endOfSupport, endOfLife). A value the
gateway cannot read is skipped, never guessed.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_UNIT_SECONDS = {
    "ms": 0.001, "s": 1.0, "sec": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
    "w": 604800.0, "week": 604800.0, "weeks": 604800.0,
    "y": 31557600.0, "yr": 31557600.0, "year": 31557600.0, "years": 31557600.0,
}  # fmt: skip

DURATIONS = ("latency", "frequency", "retention")
DATES = ("endOfSupport", "endOfLife")


def seconds(value: Any, unit: Any) -> float | None:
    """``value`` in ``unit`` as seconds, or None when either is not understood.

    >>> seconds(3, "d")
    259200.0
    >>> seconds(True, "d") is None, seconds(2, "fortnights") is None
    (True, True)
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    factor = _UNIT_SECONDS.get(unit.strip().lower() if isinstance(unit, str) else "s")
    return None if factor is None else float(value) * factor


def moment(value: Any) -> datetime | None:
    """An aware datetime from an ISO text (naive means UTC), or None.

    >>> moment("2030-01-01T04:00:00Z").year, moment("soon") is None
    (2030, True)
    """
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, str):
        text = value.strip()
        text = text[:-1] + "+00:00" if text.endswith("Z") else text
        if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # +0000 -> +00:00
            text = f"{text[:-2]}:{text[-2:]}"
        try:
            found = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Promise:
    """One SLA property of one contract."""

    contract: str  # "id/version"
    property: str
    value: Any
    unit: str | None
    element: str | None
    seconds: float | None = None  # for durations
    date: datetime | None = None  # for dates

    @builtins.property
    def text(self) -> str:
        """The promise as people write it: ``3 d``."""
        return f"{self.value} {self.unit}" if self.unit else str(self.value)


def promises(contract: Mapping[str, Any]) -> list[Promise]:
    """Every SLA property of ``contract`` the judge understands."""
    name = f"{contract.get('id')}/{contract.get('version')}"
    default_element = contract.get("slaDefaultElement")
    found: list[Promise] = []
    entries = contract.get("slaProperties")
    for entry in entries if isinstance(entries, Sequence) else ():
        if not isinstance(entry, Mapping):
            continue
        prop = str(entry.get("property", ""))
        value, unit = entry.get("value"), entry.get("unit")
        element = entry.get("element") or default_element
        element = element if isinstance(element, str) else None
        unit = unit if isinstance(unit, str) else None
        if prop in DURATIONS:
            secs = seconds(value, unit)
            if secs is not None:
                found.append(Promise(name, prop, value, unit, element, seconds=secs))
        elif prop in DATES:
            when = moment(value)
            if when is not None:
                found.append(Promise(name, prop, value, unit, element, date=when))
        elif prop == "availability" and isinstance(value, int | float):
            found.append(Promise(name, prop, value, unit, element))
    return found


def find(found: Sequence[Promise], contract: str, prop: str) -> Promise | None:
    """The promise of ``contract`` for ``prop`` (case-insensitive), if any."""
    for p in found:
        if p.contract == contract and p.property.lower() == prop.lower():
            return p
    return None
