"""Engine values as JSON, the same in every JSON the gateway or the kit writes.

JSON numbers are read as IEEE doubles by most clients (JavaScript, and Python's ``json``
for anything with a fraction), so a decimal written as a number loses digits past the
15th: ``12345678901234567.89`` comes back as ``12345678901234568``. A decimal is
therefore a JSON **string** of its exact digits, with its scale (``"1.50"``), never in
exponent form. JSON has no NaN or infinity (``json.dumps`` writes the bare words
``NaN`` / ``Infinity``, which strict parsers refuse), so a non-finite float or decimal is
the string ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``: the spelling of Trino's client
protocol, and of ``float("...")`` in Python and ``Number("...")`` in JavaScript.
Dates and times are ISO 8601, bytes base64, anything else its text.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math
import operator
from collections.abc import Sequence
from functools import partial
from typing import Any

NAN, INFINITY, MINUS_INFINITY = "NaN", "Infinity", "-Infinity"


def decimal_text(value: decimal.Decimal) -> str:
    """The exact digits of ``value``, scale kept, no exponent; non-finite as its word.

    >>> big = decimal.Decimal("12345678901234567.89")
    >>> decimal_text(big), float(big), decimal_text(decimal.Decimal("1.50"))
    ('12345678901234567.89', 1.2345678901234568e+16, '1.50')
    >>> decimal_text(decimal.Decimal("1E+3")), decimal_text(decimal.Decimal("-0.00"))
    ('1000', '-0.00')
    >>> decimal_text(decimal.Decimal("-Infinity")), decimal_text(decimal.Decimal("NaN"))
    ('-Infinity', 'NaN')
    """
    if value.is_nan():
        return NAN
    if value.is_infinite():
        return MINUS_INFINITY if value.is_signed() else INFINITY
    return format(value, "f")


def float_value(value: float) -> float | str:
    """``value`` itself when JSON can hold it, else ``"NaN"``, ``"Infinity"``, ``"-Infinity"``.

    >>> float_value(0.1), float_value(float("nan")), float_value(float("-inf"))
    (0.1, 'NaN', '-Infinity')
    """
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return NAN
    return INFINITY if value > 0 else MINUS_INFINITY


def json_value(value: Any) -> Any:
    """The JSON form of one scalar value (``None``, booleans, ints, text as they are).

    >>> json_value(dt.date(2026, 11, 23)), json_value(decimal.Decimal("0.30"))
    ('2026-11-23', '0.30')
    >>> json_value(b"hi"), json_value(float("inf")), json_value(True)
    ('aGk=', 'Infinity', True)
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return float_value(value)
    if isinstance(value, decimal.Decimal):
        return decimal_text(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return str(value)


_AS_IS = frozenset({int, str, bool, type(None)})
"""Types whose values are their own JSON form (exactly these: a subclass, say an enum of
ints, takes the long way)."""


def to_json(value: Any) -> Any:
    """``value`` with every nested value in its JSON form (lists, tuples, dicts walked).

    >>> to_json([dt.date(2026, 1, 2), {"a": (1, None, float("nan"))}])
    ['2026-01-02', {'a': [1, None, 'NaN']}]
    """
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is tuple or kind is list:  # a row: most of its values are as they are
        return [v if type(v) in _AS_IS else to_json(v) for v in value]
    if kind is float:
        return float_value(value)
    if kind is dt.date or kind is dt.datetime:
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return json_value(value)


_ROWS = (tuple, list)


def rows_to_json(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """``[to_json(row) for row in rows]`` for an engine's rows, column by column.

    An answer's column holds one kind of value, so its kinds are read once for the whole
    column: one of texts, integers, booleans and nulls is taken as it is, one of floats
    is checked in one sum (a NaN or an infinity makes it non-finite, a finite sum means
    every value is), one of dates or timestamps is written as ISO 8601; any other goes
    value by value. Rows of unequal lengths, or that are not tuples or lists, go row by
    row.

    >>> rows_to_json([(1, 0.5, dt.date(2026, 1, 2)), (2, float("inf"), None)])
    [[1, 0.5, '2026-01-02'], [2, 'Infinity', None]]
    """
    if not rows:
        return []
    width = len(rows[0])
    if any(len(row) != width or type(row) not in _ROWS for row in rows):
        return [to_json(row) for row in rows]
    columns = [_column_to_json(column) for column in zip(*rows, strict=True)]
    return [list(row) for row in zip(*columns, strict=True)] if columns else [[] for _ in rows]


_NOT_NONE = partial(operator.is_not, None)


def _column_to_json(column: tuple[Any, ...]) -> Sequence[Any]:
    kinds = set(map(type, column))
    if kinds <= _AS_IS:
        return column
    kinds.discard(type(None))
    if kinds == {float} and math.isfinite(sum(filter(_NOT_NONE, column))):
        return column
    if kinds == {dt.date} or kinds == {dt.datetime}:
        return [None if v is None else v.isoformat() for v in column]
    by_value: list[Any] = to_json(column)  # value by value, as a row
    return by_value


def dumps(value: Any, **options: Any) -> str:
    """Strict JSON text of ``value`` after :func:`to_json`: never ``NaN`` or ``Infinity``.

    >>> dumps({"x": float("nan"), "d": decimal.Decimal("0.1")})
    '{"x": "NaN", "d": "0.1"}'
    """
    return json.dumps(to_json(value), allow_nan=False, **options)
