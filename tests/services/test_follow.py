"""The registry follower: the listener returns at once, one run per product at a time
(a change during a run gives exactly one more run), a bounded number pending, nothing
after close."""

from __future__ import annotations

import asyncio

from gateway.follow import Follower


async def test_a_change_during_a_run_gives_one_more_run_not_one_per_change() -> None:
    gate = asyncio.Event()
    runs: list[str] = []

    async def handle(product_id: str) -> None:
        runs.append(product_id)
        await gate.wait()

    follow = Follower(handle, "test")
    follow("p")  # returns at once: the work is a task
    await asyncio.sleep(0)
    for _ in range(5):
        follow("p")  # while the first run waits
    assert (runs, follow.pending) == (["p"], 1)
    gate.set()
    await asyncio.wait_for(follow.idle(), 5)
    assert runs == ["p", "p"] and follow.pending == 0


async def test_pending_products_are_bounded_and_the_excess_is_counted() -> None:
    gate = asyncio.Event()
    seen: list[str] = []

    async def handle(product_id: str) -> None:
        seen.append(product_id)
        await gate.wait()

    follow = Follower(handle, "test", max_pending=2)
    for n in range(10):
        follow(f"p{n}")
    assert (follow.pending, follow.dropped) == (2, 8)
    gate.set()
    await asyncio.wait_for(follow.idle(), 5)
    assert sorted(seen) == ["p0", "p1"]


async def test_a_failing_run_is_logged_and_the_next_change_is_followed() -> None:
    calls: list[str] = []

    async def handle(product_id: str) -> None:
        calls.append(product_id)
        raise RuntimeError("boom")

    follow = Follower(handle, "test")
    follow("p")
    await asyncio.wait_for(follow.idle(), 5)
    follow("p")
    await asyncio.wait_for(follow.idle(), 5)
    assert calls == ["p", "p"]


async def test_close_cancels_runs_and_ignores_later_changes() -> None:
    started = asyncio.Event()
    cancelled: list[str] = []

    async def handle(product_id: str) -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.append(product_id)
            raise

    follow = Follower(handle, "test")
    follow("p")
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(follow.close(), 5)
    follow("q")
    assert cancelled == ["p"] and follow.pending == 0
