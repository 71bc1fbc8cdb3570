"""The engine slot's rules, on real DuckDB engines: one build per generation shared by
its waiters, a failed build is a coded error for each, an engine retired while leased
closes only after its last lease, and a caller that goes away cancels no build."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from gateway.errors import SqlEngineError
from gateway.federation.engine_slot import EngineSlot
from gateway.federation.engines import DuckDBEngine

ROOT = Path(__file__).resolve().parents[3]


def engine() -> DuckDBEngine:
    return DuckDBEngine([], root=ROOT)


async def answers(engine: DuckDBEngine) -> bool:
    """Whether ``engine`` is open and runs a query."""
    if engine.closed:
        return False
    return (await engine.run_sql("SELECT 1", timeout_s=5, max_rows=1)).rows == [(1,)]


async def closes(engine: DuckDBEngine, within: float = 5.0) -> bool:
    """Whether ``engine`` is closed within ``within`` seconds (closing runs in a thread)."""
    for _ in range(int(within / 0.02)):
        if engine.closed:
            return True
        await asyncio.sleep(0.02)
    return engine.closed


async def test_waiters_of_one_generation_share_one_build() -> None:
    slot = EngineSlot()
    leases = await asyncio.gather(*(slot.lease(1, engine) for _ in range(5)))
    assert slot.builds == 1
    assert len({id(lease.engine) for lease in leases}) == 1
    for lease in leases:
        lease.release()
    await slot.close()


async def test_a_failed_build_is_a_coded_error_for_every_waiter() -> None:
    def broken() -> DuckDBEngine:
        raise OSError("/secret/path is not readable")

    slot = EngineSlot()
    outcomes = await asyncio.gather(
        *(slot.lease(1, broken) for _ in range(3)), return_exceptions=True
    )
    for outcome in outcomes:
        assert isinstance(outcome, SqlEngineError), outcome
        assert "/secret" not in outcome.message
    lease = await slot.lease(1, engine)  # the next query tries again
    lease.release()
    await slot.close()


async def test_a_retired_engine_closes_after_its_last_lease() -> None:
    slot = EngineSlot()
    old = await slot.lease(1, engine)
    stream = old.hold()  # as a stream's worker does
    new = await slot.lease(2, engine)
    assert new.engine is not old.engine
    old.release()
    assert await answers(old.engine)  # the stream still holds it
    stream()
    assert await closes(old.engine)
    assert await answers(new.engine)
    new.release()
    await slot.close()
    assert new.engine.closed


async def test_an_older_generation_built_late_serves_its_waiter_then_closes() -> None:
    slot = EngineSlot()
    gate = threading.Event()

    def slow() -> DuckDBEngine:
        gate.wait(5)
        return engine()

    waiting = asyncio.create_task(slot.lease(1, slow))
    await asyncio.sleep(0.05)
    newer = await slot.lease(2, engine)
    gate.set()
    older = await waiting
    assert await answers(older.engine)
    older.release()
    assert await closes(older.engine)
    third = await slot.lease(2, engine)  # generation 2 is still the current one
    assert third.engine is newer.engine and slot.builds == 2
    third.release()
    newer.release()
    await slot.close()


async def test_a_caller_that_goes_away_cancels_no_build() -> None:
    slot = EngineSlot()
    gate = threading.Event()

    def slow() -> DuckDBEngine:
        gate.wait(5)
        return engine()

    first = asyncio.create_task(slot.lease(1, slow))
    await asyncio.sleep(0.05)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    gate.set()
    lease = await slot.lease(1, slow)  # the same build, finished for the next caller
    assert slot.builds == 1
    assert await answers(lease.engine)
    lease.release()
    await slot.close()
