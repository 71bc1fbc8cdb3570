from __future__ import annotations

from gateway.upstream import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_threshold_then_lets_one_trial_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=2, cooldown=5.0, clock=clock)
    assert breaker.allow("h")
    breaker.failure("h")
    assert breaker.allow("h") and not breaker.is_open("h")
    breaker.failure("h")
    assert breaker.is_open("h")
    assert not breaker.allow("h")
    clock.now = 5.0
    assert breaker.allow("h")  # the trial call
    assert not breaker.allow("h")  # only one at a time
    breaker.success("h")
    assert breaker.allow("h") and not breaker.is_open("h")


def test_failed_trial_reopens_for_a_full_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=5.0, clock=clock)
    breaker.failure("h")
    clock.now = 6.0
    assert breaker.allow("h")
    breaker.failure("h")
    assert not breaker.allow("h")
    clock.now = 10.0
    assert not breaker.allow("h")
    clock.now = 11.5
    assert breaker.allow("h")


def test_hosts_are_independent() -> None:
    breaker = CircuitBreaker(threshold=1)
    breaker.failure("a")
    assert not breaker.allow("a")
    assert breaker.allow("b")
