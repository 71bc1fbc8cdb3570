"""An idle ``meshgate serve --workers 2`` keeps no CPU busy: before, the health
monitor's follower asked PostgreSQL for the lead and Redis for the shared round at once,
again and again (half a core or more, for as long as the process ran)."""

from __future__ import annotations

import time
from collections.abc import Callable

from bench.peer.procs import cpu_seconds
from tests.fixtures.identity import TestIssuer
from tests.workers.processes import Workers


def test_neither_process_of_an_idle_gateway_keeps_a_cpu_busy(
    two_gateways: Callable[..., tuple[Workers, TestIssuer]],
) -> None:
    gateway, _ = two_gateways()
    pids = gateway.pids()
    assert len(pids) == 2
    time.sleep(3)  # past the start: the first health round and the first elections
    before = {pid: cpu_seconds(pid) for pid in pids}
    time.sleep(4)
    used = {pid: round(cpu_seconds(pid) - before[pid], 2) for pid in pids}
    # Idle, each process wakes for its background rounds only: a few ms a second.
    assert max(used.values()) < 0.4, used
