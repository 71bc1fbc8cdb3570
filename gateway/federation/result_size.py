"""Result size caps: a row cap is not a size cap.

One row can hold a whole table (``array_agg``, ``string_agg``), so the answer of a ``sql``
query is capped in bytes as well as in rows (``sql_max_result_bytes``), counted while the
engine's rows are fetched, chunk by chunk, so that the gateway stops reading at the cap.
A stream is meant to be large, so there the cap holds for each row.

Sizes are estimates of what the answer carries (text as its characters, numbers as 8
bytes, lists and maps as their items), not Python's memory: enough to refuse a table
folded into a cell, cheap enough to count every value.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from gateway.errors import SqlResultTooLarge

FETCH_CHUNK = 64
"""Rows fetched from an engine between two checks of the answer's size. It does not grow
with small rows: a query's next rows may be large (``CASE WHEN n < 2000 THEN 'a' ELSE
repeat('x', 100000) END``), and a chunk learnt from the first ones would bring them in
by the thousand past the cap."""


def value_bytes(value: Any) -> int:
    """The estimated size of one value of an answer.

    >>> value_bytes("abc"), value_bytes(12), value_bytes(None), value_bytes([1, "ab"])
    (3, 8, 1, 12)
    """
    total = 0
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, bool):
            total += 1
        elif isinstance(item, str | bytes | bytearray):
            total += len(item)
        elif isinstance(item, int | float):
            total += 8
        elif isinstance(item, Mapping):
            total += 2
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            total += 2
            stack.extend(item)
        else:  # dates, decimals, UUIDs...: their text
            total += len(str(item))
    return total


def row_bytes(row: Iterable[Any]) -> int:
    """The estimated size of one row: :func:`value_bytes` of each value, with the common
    scalars sized inline.

    >>> row_bytes(("abc", 12, None, True, 1.5, [1, "ab"]))
    33
    >>> import datetime
    >>> row_bytes((datetime.date(1, 1, 1),)) == value_bytes(datetime.date(9999, 12, 31)) == 10
    True
    """
    total = 0
    for value in row:
        kind = type(value)
        if kind is str:
            total += len(value)
        elif kind is int or kind is float:
            total += 8
        elif value is None:
            total += 1
        elif kind is dt.date:
            total += _DATE_TEXT
        elif kind is dt.datetime or kind is decimal.Decimal:
            total += len(str(value))  # as value_bytes, without its walk through the kinds
        else:
            total += value_bytes(value)
    return total


_DATE_TEXT = len("2026-12-03")
"""A date's text (``date.isoformat``): always ten characters, years being 1 to 9999."""


class ResultBudget:
    """Counts the bytes of an answer's rows; raises past ``limit`` (None: no limit).

    >>> budget = ResultBudget(10)
    >>> budget.add([("abcd",), ("efgh",)])
    >>> budget.add([("ijkl",)])
    Traceback (most recent call last):
    ...
    gateway.errors.SqlResultTooLarge: the answer has more than 10 bytes \
(sql_max_result_bytes); select fewer or smaller values
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0

    def add(self, rows: Iterable[Iterable[Any]]) -> None:
        if self.limit is None:
            return
        for row in rows:
            self.used += row_bytes(row)
            if self.used > self.limit:
                raise SqlResultTooLarge(
                    f"the answer has more than {self.limit} bytes (sql_max_result_bytes); "
                    "select fewer or smaller values",
                    limit=self.limit,
                )


def fetch_within(cursor: Any, max_rows: int, budget: ResultBudget) -> list[tuple[Any, ...]]:
    """Up to ``max_rows + 1`` rows of an executed DB-API ``cursor``, fetched in chunks of
    :data:`FETCH_CHUNK`; raises as soon as the rows fetched pass the budget."""
    rows: list[tuple[Any, ...]] = []
    wanted = max_rows + 1
    while len(rows) < wanted:
        fetched = cursor.fetchmany(min(FETCH_CHUNK, wanted - len(rows)))
        if not fetched:
            break
        chunk = [r if type(r) is tuple else tuple(r) for r in fetched]
        budget.add(chunk)
        rows.extend(chunk)
    return rows


def check_batch_rows(batch: pa.RecordBatch, limit: int | None) -> None:
    """Raise if one row of ``batch`` has more than ``limit`` bytes (Arrow's own sizes).

    A batch within the limit needs no look at its rows; a larger one is halved until
    each part is within it or is one row, so a batch of many small rows costs a few
    size sums, not one per row.

    >>> small = pa.RecordBatch.from_pydict({"s": ["x" * 10] * 100})
    >>> check_batch_rows(small, 100)
    >>> check_batch_rows(pa.RecordBatch.from_pydict({"s": ["x" * 500]}), 100)
    Traceback (most recent call last):
    ...
    gateway.errors.SqlResultTooLarge: a row of the result has more than 100 bytes \
(sql_max_result_bytes); select fewer or smaller values
    """
    if limit is None:
        return
    parts = [batch]
    while parts:
        part = parts.pop()
        if part.num_rows == 0 or _nbytes(part) <= limit:
            continue
        if part.num_rows == 1:
            raise SqlResultTooLarge(
                f"a row of the result has more than {limit} bytes (sql_max_result_bytes); "
                "select fewer or smaller values",
                limit=limit,
            )
        half = part.num_rows // 2
        parts.extend((part.slice(0, half), part.slice(half)))


def _nbytes(batch: pa.RecordBatch) -> int:
    # get_total_buffer_size counts whole shared buffers; nbytes counts a slice's own range.
    return int(batch.nbytes)
