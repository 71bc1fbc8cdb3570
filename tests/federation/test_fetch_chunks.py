"""Rows are fetched from an engine a chunk at a time, the answer's size checked after
each, on a real DuckDB cursor: the gateway stops reading soon after the byte cap, also
when a query's first rows are small and the next ones large (a caller's SQL can shape
its rows so; no chunk size learnt from the first rows may let the later ones in)."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from gateway.errors import SqlResultTooLarge
from gateway.federation.result_size import (
    FETCH_CHUNK,
    ResultBudget,
    fetch_within,
    row_bytes,
    value_bytes,
)


class Counted:
    """A DuckDB cursor whose ``fetchmany`` rows are counted."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.cursor = cursor
        self.rows = 0

    def fetchmany(self, size: int) -> list[Any]:
        got = self.cursor.fetchmany(size)
        self.rows += len(got)
        return got


def test_large_rows_stop_the_reading_soon_after_the_cap() -> None:
    with duckdb.connect() as con:
        cursor = Counted(con.execute("SELECT repeat('x', 100000) AS s FROM range(10000)"))
        with pytest.raises(SqlResultTooLarge):
            fetch_within(cursor, 10_000, ResultBudget(1_000_000))
    assert cursor.rows <= FETCH_CHUNK  # 11 rows pass the cap: the first chunk


def test_small_rows_first_do_not_widen_what_large_ones_may_bring() -> None:
    small = 2000
    sql = (
        f"SELECT CASE WHEN range < {small} THEN 'a' ELSE repeat('x', 10000) END AS s "
        "FROM range(8000) ORDER BY range"
    )
    with duckdb.connect() as con:
        cursor = Counted(con.execute(sql))
        with pytest.raises(SqlResultTooLarge):
            fetch_within(cursor, 10_000, ResultBudget(100_000))
    assert cursor.rows <= small + 2 * FETCH_CHUNK


def test_a_row_s_size_is_its_values_sizes_whatever_its_kinds() -> None:
    """The inline sizes of the common kinds (a date's ten characters, a timestamp's and a
    decimal's text) are what the general walk gives, on values DuckDB returns."""
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        row = con.execute(
            "SELECT 'abc', 12, 1.5::DOUBLE, NULL, true, DATE '0031-01-02', "
            "DATE '2026-12-03', TIMESTAMP '2026-12-03 10:00:00', "
            "TIMESTAMP '2026-12-03 10:00:00.123456', TIMESTAMPTZ '2026-12-03 10:00:00+01', "
            "123456789012345.678::DECIMAL(18,3), [1, 2], {'a': 'xy'}"
        ).fetchone()
    assert row is not None
    assert row_bytes(row) == sum(value_bytes(v) for v in row)
    assert value_bytes(row[5]) == 10 and value_bytes(row[9]) == len("2026-12-03 09:00:00+00:00")
