"""An answer's rows are written column by column (``rows_to_json``): the same JSON form as
value by value (``to_json``), whatever the columns hold: floats that are not finite among
finite ones, sums that overflow, nulls, dates beside timestamps, decimals, nested values,
kinds that only look like the plain ones."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.values import rows_to_json, to_json


class Level(enum.IntEnum):
    LOW = 1


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=5),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, float("nan"), float("inf"), -0.0]),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, dt.UTC])),
    st.decimals(allow_nan=True, allow_infinity=True, places=3),
    st.binary(max_size=4),
    st.just(Level.LOW),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=2), SCALARS, max_size=2),
)


@st.composite
def answers(draw: st.DrawFn) -> list[tuple[Any, ...]]:
    """Rows of one width; each column draws its values from one or two kinds of value,
    as an engine's column does (a kind, and nulls), or from any kind."""
    width = draw(st.integers(0, 4))
    columns = [draw(st.sampled_from([SCALARS, VALUES])) for _ in range(width)]
    columns = [
        draw(
            st.one_of(
                st.just(c),
                st.sampled_from(
                    [
                        st.floats(),
                        st.dates(),
                        st.none() | st.floats(allow_nan=True),
                        st.integers() | st.none(),
                    ]
                ),
            )
        )
        for c in columns
    ]
    count = draw(st.integers(0, 6))
    return [tuple(draw(c) for c in columns) for _ in range(count)]


def same(a: Any, b: Any) -> bool:
    """Equal as JSON texts too: ``==`` alone takes True for 1, -0.0 for 0.0, 1.0 for 1."""
    return bool(a == b) and json.dumps(a) == json.dumps(b)


@settings(max_examples=400, deadline=None)
@given(answers(), st.booleans())
def test_column_by_column_is_value_by_value(rows: list[tuple[Any, ...]], lists: bool) -> None:
    given_rows: list[Any] = [list(row) for row in rows] if lists else rows
    assert same(rows_to_json(given_rows), [to_json(row) for row in given_rows])


def test_one_non_finite_float_among_finite_ones_is_written_as_its_word() -> None:
    rows = [(0.5,), (float("nan"),), (None,), (float("-inf"),), (1e308,), (1e308,)]
    assert rows_to_json(rows) == [[0.5], ["NaN"], [None], ["-Infinity"], [1e308], [1e308]]


def test_rows_of_unequal_lengths_are_written_row_by_row() -> None:
    rows: list[tuple[Any, ...]] = [(dt.date(2026, 1, 2),), (1, decimal.Decimal("0.10"))]
    assert rows_to_json(rows) == [["2026-01-02"], [1, "0.10"]]
    assert rows_to_json([(), ()]) == [[], []]


def test_rows_that_are_not_tuples_or_lists_are_written_as_to_json_writes_them() -> None:
    odd: list[Any] = ["ab", "cd"]
    assert rows_to_json(odd) == [to_json(v) for v in odd] == ["ab", "cd"]
    assert rows_to_json([{"a": 1}, {"b": 2}]) == [{"a": 1}, {"b": 2}]


def test_true_stays_true_and_minus_zero_stays_minus_zero() -> None:
    assert same(rows_to_json([(True, -0.0, 1.0), (False, 0.5, 2.0)]),
                [[True, -0.0, 1.0], [False, 0.5, 2.0]])  # fmt: skip
