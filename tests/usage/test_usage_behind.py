"""Usage written behind the answer: a record returns before its row is written, every read
sees what was recorded before it, nothing is lost at close, a failed write is logged and
the next goes on, and a burst waits past the bound (a real SQLite store under it)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.federation.records import QueryRecord
from gateway.usage.behind import UsageBehind
from gateway.usage.store import open_usage


def _query(n: int) -> QueryRecord:
    return QueryRecord(caller=f"c{n}", sql=f"SELECT {n}", engine="duckdb", outcome="ok",
                       rows=n, elapsed_ms=1.0, plan=None, at=datetime.now(UTC))  # fmt: skip


async def test_a_record_returns_before_its_write_and_a_read_sees_it(tmp_path: Path) -> None:
    store = await open_usage(f"sqlite:///{tmp_path / 'r.db'}")
    usage = UsageBehind(store)
    try:
        for n in range(20):
            await usage.record(_query(n))
        assert usage.pending > 0  # taken, not all written yet
        logged = await usage.log()
        assert sorted(q.caller for q in logged) == sorted(f"c{n}" for n in range(20))
        assert usage.pending == 0
    finally:
        await usage.close()


async def test_closing_writes_what_is_left(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    usage = UsageBehind(await open_usage(url))
    for n in range(50):
        await usage.record(_query(n))
    await usage.close()
    reopened = await open_usage(url)
    try:
        assert len(await reopened.log(limit=100)) == 50
    finally:
        await reopened.close()


class _Failing:
    """A store whose writes of caller ``c1`` fail (a full disk, say)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    async def record(self, entry: QueryRecord) -> None:
        if entry.caller == "c1":
            raise OSError("disk full")
        await self.store.record(entry)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


async def test_a_failed_write_is_logged_and_the_next_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    usage = UsageBehind(_Failing(await open_usage(f"sqlite:///{tmp_path / 'r.db'}")))  # type: ignore[arg-type]
    try:
        with caplog.at_level(logging.ERROR, logger="gateway.usage.behind"):
            for n in range(3):
                await usage.record(_query(n))
            callers = sorted(q.caller for q in await usage.log())
        assert callers == ["c0", "c2"]
        assert "recording SQL usage failed (a query by c1)" in caplog.text
    finally:
        await usage.close()


async def test_past_the_bound_a_record_waits_for_the_writes(tmp_path: Path) -> None:
    usage = UsageBehind(await open_usage(f"sqlite:///{tmp_path / 'r.db'}"), most_pending=5)
    try:
        most = 0
        for n in range(40):
            await usage.record(_query(n))
            most = max(most, usage.pending)
        assert most <= 5
        await asyncio.wait_for(usage.flush(), 10)
        assert len(await usage.log(limit=100)) == 40
    finally:
        await usage.close()
