"""The stall meter counts what the loop's own thread does: a blocking call and a long
computation on the loop are both stalls (so the swap test can fail)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from tests.federation.steady.stall_meter import StallMeter


async def measured(on_the_loop: Callable[[], None]) -> tuple[float, float]:
    stop = asyncio.Event()
    meter = StallMeter()
    task = asyncio.create_task(meter.run(stop))
    await asyncio.sleep(0.05)
    on_the_loop()
    await asyncio.sleep(0.05)
    stop.set()
    await task
    return meter.worst()


def spin(seconds: float) -> None:
    """Compute on the loop for ``seconds`` of this thread's CPU (a busy machine may
    stretch that over more wall time; the meter counts the CPU)."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


async def test_a_blocking_call_on_the_loop_is_a_stall() -> None:
    stalled, late = await measured(lambda: time.sleep(0.2))
    assert late >= 0.19
    assert stalled >= 0.15  # all of it but the readings' own gaps on a busy machine


async def test_a_computation_on_the_loop_is_a_stall() -> None:
    stalled, late = await measured(lambda: spin(0.2))
    assert late >= 0.19
    assert stalled >= 0.15


async def test_a_loop_that_sleeps_does_not_stall() -> None:
    stalled, _ = await measured(lambda: None)
    assert stalled < 0.05
