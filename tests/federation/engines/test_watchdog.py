"""The DuckDB engine's watchdog (per-query timeouts from one thread): an alarm fires at its
own deadline, earlier or later than those armed before it; arming one for later than the
thread already waits for does not wake the thread (every query arms one); the alarms
that queries cancel do not pile up."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.federation.engines._watchdog import COMPACT_AT, Watchdog


@pytest.fixture
def dog() -> Iterator[Watchdog]:
    watchdog = Watchdog()
    yield watchdog
    watchdog.close()


def test_an_alarm_earlier_than_those_armed_before_fires_at_its_own_time(dog: Watchdog) -> None:
    dog.arm(30, lambda: None)
    time.sleep(0.05)  # the thread now sleeps until the first one's deadline
    fired = threading.Event()
    start = time.monotonic()
    dog.arm(0.1, fired.set)
    assert fired.wait(5)
    assert time.monotonic() - start < 2


def test_a_later_alarm_fires_after_an_earlier_one_was_cancelled(dog: Watchdog) -> None:
    dog.arm(0.05, lambda: None).cancel()
    fired = threading.Event()
    dog.arm(0.2, fired.set)
    assert fired.wait(5)


def test_alarms_for_later_do_not_wake_the_thread(dog: Watchdog) -> None:
    dog.arm(30, lambda: None)
    time.sleep(0.05)
    wakes = 0
    wait = dog._cond.wait

    def counted(timeout: float | None = None) -> Any:
        nonlocal wakes
        woke = wait(timeout)
        wakes += 1  # counted on waking: the thread may still be on its way to sleep
        return woke

    dog._cond.wait = counted  # type: ignore[method-assign]
    for _ in range(20):  # as queries do: armed for their timeout, cancelled when done
        dog.arm(60, lambda: None).cancel()
        time.sleep(0.01)  # the thread, had it been woken, is back asleep by the next
    assert wakes == 0


def test_cancelled_alarms_do_not_pile_up(dog: Watchdog) -> None:
    for _ in range(3 * COMPACT_AT):
        dog.arm(60, lambda: None).cancel()
    assert len(dog._heap) <= COMPACT_AT
