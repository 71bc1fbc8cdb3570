"""The stall meter counts what the loop's own thread does: a blocking call and a long
computation on the loop are both stalls (so the swap test can fail); waits for the GIL
are told apart, and count unless foreign threads held it."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable

from tests.federation.steady.stall_meter import StallMeter, threads_now


async def metered(
    on_the_loop: Callable[[], None], foreign: frozenset[int] = frozenset()
) -> StallMeter:
    stop = asyncio.Event()
    meter = StallMeter(foreign)
    task = asyncio.create_task(meter.run(stop))
    await asyncio.sleep(0.05)
    on_the_loop()
    await asyncio.sleep(0.05)
    stop.set()
    await task
    return meter


async def measured(on_the_loop: Callable[[], None]) -> tuple[float, float]:
    return (await metered(on_the_loop)).worst()


def spin(seconds: float) -> None:
    """Compute on the loop for ``seconds`` of this thread's CPU (a busy machine may
    stretch that over more wall time; the meter counts the CPU)."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


async def test_a_blocking_call_on_the_loop_is_a_stall() -> None:
    stalled, late = await measured(lambda: time.sleep(0.2))
    assert late >= 0.19
    # All of it but the readings' own gaps on a busy machine (0.14 s under two busy
    # loops): past the swap test's bound, which is what it is for.
    assert stalled >= 0.1


async def test_a_computation_on_the_loop_is_a_stall() -> None:
    stalled, late = await measured(lambda: spin(0.2))
    assert late >= 0.19
    assert stalled >= 0.15


async def test_a_loop_that_sleeps_does_not_stall() -> None:
    stalled, _ = await measured(lambda: None)
    assert stalled < 0.05


def _sorting(count: int, seconds: float) -> tuple[list[threading.Thread], threading.Event]:
    """``count`` threads, each sorting a list again and again for ``seconds`` once the
    event is set, then waiting for it to be cleared (so their CPU stays on the kernel's
    account while the meter reads it). One sort is one C call, holding the GIL throughout
    (as a JSON encoding of a large document does), so the loop's thread waits for it."""
    go = threading.Event()
    data = random.Random(7).sample(range(10**6), 200_000)

    def run() -> None:
        go.wait()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            sorted(data)
        while go.is_set():
            time.sleep(0.01)

    threads = [threading.Thread(target=run, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, go


async def _with_sorting(foreign: bool) -> StallMeter:
    threads, go = _sorting(8, 0.3)
    try:
        return await metered(go.set, threads_now() if foreign else frozenset())
    finally:
        go.clear()
        for thread in threads:
            thread.join()


async def test_waiting_for_a_lock_held_by_a_thread_is_a_stall() -> None:
    """As ``Thread.start`` on the loop waits for the new thread to run."""
    lock = threading.Lock()

    def hold() -> None:
        with lock:
            time.sleep(0.2)

    holder = threading.Thread(target=hold)

    def wait_for_it() -> None:
        holder.start()
        time.sleep(0.01)
        with lock:
            pass

    stalled, _ = await measured(wait_for_it)
    holder.join()
    assert stalled >= 0.1  # as for the blocking call above


async def test_threads_of_the_process_holding_the_gil_make_the_loop_wait() -> None:
    """Threads started by what is under test (an engine's pool, say): the loop waited,
    though it made no blocking call."""
    meter = await _with_sorting(foreign=False)
    assert meter.waited() >= 0.05
    assert meter.worst()[0] < 0.05


async def test_foreign_threads_holding_the_gil_do_not_count() -> None:
    """Threads that ran before (product kits served in the test process) do not."""
    meter = await _with_sorting(foreign=True)
    assert meter.waited() < 0.05
