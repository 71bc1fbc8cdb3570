"""Rows are fetched from an engine in chunks that grow while the rows are small (few calls
into the driver for an answer of many small rows) and stay small while they are large
(the gateway stops reading soon after the byte cap), on a real DuckDB cursor."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from gateway.errors import SqlResultTooLarge
from gateway.federation.result_size import FETCH_CHUNK, ResultBudget, fetch_within


class Counted:
    """A DuckDB cursor whose ``fetchmany`` calls and rows are counted."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.cursor = cursor
        self.calls = 0
        self.rows = 0

    def fetchmany(self, size: int) -> list[Any]:
        self.calls += 1
        got = self.cursor.fetchmany(size)
        self.rows += len(got)
        return got


def test_many_small_rows_take_few_fetches() -> None:
    with duckdb.connect() as con:
        cursor = Counted(con.execute("SELECT range AS n, 'x' AS s FROM range(5000)"))
        rows = fetch_within(cursor, 10_000, ResultBudget(4 * 1024 * 1024))
    assert [tuple(r) for r in rows[:2]] == [(0, "x"), (1, "x")] and len(rows) == 5000
    assert cursor.calls <= 4  # 64, then up to 4096 at a time, then the empty end


def test_large_rows_stop_the_reading_soon_after_the_cap() -> None:
    with duckdb.connect() as con:
        cursor = Counted(con.execute("SELECT repeat('x', 100000) AS s FROM range(10000)"))
        with pytest.raises(SqlResultTooLarge):
            fetch_within(cursor, 10_000, ResultBudget(1_000_000))
    assert cursor.rows <= FETCH_CHUNK  # 11 rows pass the cap: the first chunk


def test_without_a_cap_the_rows_are_fetched_in_large_chunks() -> None:
    with duckdb.connect() as con:
        cursor = Counted(con.execute("SELECT range AS n FROM range(3000)"))
        rows = fetch_within(cursor, 2_999, ResultBudget(None))
    assert len(rows) == 3000 and cursor.calls == 2  # max_rows + 1: the truncation marker
