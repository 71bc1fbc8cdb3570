"""Result rows of two engines made comparable: the same value has the same Python form.

Engines return the same value in different Python types (``Decimal`` from a PostgreSQL
``numeric`` read by Trino, ``float`` from DuckDB; ``date`` objects), and sums of doubles
added in a different order differ in the last bits. Both are normalised here; nothing else
is, so any other difference stays visible.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

DECIMALS = 6


def normalised_value(value: Any, decimals: int = DECIMALS) -> Any:
    """``value`` in a form both engines agree on.

    >>> normalised_value(Decimal("1.50")), normalised_value(2.0000000001)
    (1.5, 2.0)
    >>> import datetime
    >>> normalised_value(datetime.date(2024, 1, 31))
    '2024-01-31'
    """
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return value
        rounded = round(value, decimals)
        return 0.0 if rounded == 0 else rounded  # -0.0 and 0.0 are one answer
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def normalised(rows: list[tuple[Any, ...]], decimals: int = DECIMALS) -> list[tuple[Any, ...]]:
    """Every value of every row normalised (row order kept: statements order totally)."""
    return [tuple(normalised_value(v, decimals) for v in row) for row in rows]
