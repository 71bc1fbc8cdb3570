from __future__ import annotations

import asyncio

import pytest

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


def test_an_attempt_that_ends_normally_closes_the_host() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=5.0, clock=clock)
    breaker.failure("h")
    clock.now = 5.0
    attempt = breaker.attempt("h")
    assert attempt is not None and attempt.trial
    with attempt:
        assert breaker.attempt("h") is None  # one trial at a time
    assert not breaker.is_open("h")


def test_an_unexpected_exception_in_a_trial_is_a_failure() -> None:
    # Before: only an UpstreamError was reported; any other exception (RecursionError
    # from the JSON parser) left the trial running for ever.
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=5.0, clock=clock)
    breaker.failure("h")
    clock.now = 5.0
    attempt = breaker.attempt("h")
    assert attempt is not None
    with pytest.raises(RecursionError), attempt:
        raise RecursionError
    assert breaker.attempt("h") is None  # open again, for a full cooldown
    clock.now = 10.0
    assert breaker.attempt("h") is not None


def test_a_cancelled_trial_hands_its_place_to_the_next_caller() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=5.0, clock=clock)
    breaker.failure("h")
    clock.now = 5.0
    attempt = breaker.attempt("h")
    assert attempt is not None
    with pytest.raises(asyncio.CancelledError), attempt:
        raise asyncio.CancelledError
    assert breaker.is_open("h")  # no verdict on the host...
    assert breaker.attempt("h") is not None  # ...but the next caller may try at once


def test_a_cancelled_call_that_was_not_the_trial_leaves_the_trial_alone() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=5.0, clock=clock)
    early = breaker.attempt("h")  # goes out while the host is closed
    breaker.failure("h")
    clock.now = 5.0
    assert early is not None and breaker.attempt("h") is not None  # the trial
    with pytest.raises(asyncio.CancelledError), early:
        raise asyncio.CancelledError
    assert breaker.attempt("h") is None  # the trial still holds the host


def test_a_settled_attempt_keeps_its_verdict() -> None:
    breaker = CircuitBreaker(threshold=1)
    attempt = breaker.attempt("h")
    assert attempt is not None
    with pytest.raises(LookupError), attempt:
        attempt.succeeded()  # e.g. a 404: the host answered
        raise LookupError
    assert not breaker.is_open("h")
