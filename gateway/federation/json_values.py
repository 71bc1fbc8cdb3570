"""Engine values as JSON carries them, the same for the GraphQL ``sql`` rows and the
JSON-lines stream: dates as ISO 8601, decimals as numbers, bytes as base64."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from typing import Any


def json_default(value: Any) -> Any:
    """For ``json.dumps(default=...)``: a JSON form of a value json cannot write.

    >>> json_default(dt.date(2026, 11, 23)), json_default(decimal.Decimal("1.5"))
    ('2026-11-23', 1.5)
    >>> json_default(b"hi")
    'aGk='
    """
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def to_json(value: Any) -> Any:
    """``value`` with every nested non-JSON value converted by :func:`json_default`.

    >>> to_json([dt.date(2026, 1, 2), {"a": (1, None)}])
    ['2026-01-02', {'a': [1, None]}]
    """
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return json_default(value)
