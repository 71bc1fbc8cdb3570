"""An idle ``meshgate serve --workers 2`` keeps no CPU busy: before, the health
monitor's follower asked PostgreSQL for the lead and Redis for the shared round at once,
again and again (half a core or more, for as long as the process ran)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from tests.fixtures.identity import TestIssuer
from tests.workers.processes import Workers

TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User and system time of process ``pid`` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def test_neither_process_of_an_idle_gateway_keeps_a_cpu_busy(
    two_gateways: Callable[..., tuple[Workers, TestIssuer]],
) -> None:
    gateway, _ = two_gateways()
    pids = gateway.pids()
    assert len(pids) == 2
    time.sleep(3)  # past the start: the first health round and the first elections
    before = {pid: _cpu_seconds(pid) for pid in pids}
    time.sleep(4)
    used = {pid: round(_cpu_seconds(pid) - before[pid], 2) for pid in pids}
    # Idle, each process wakes for its background rounds only: a few ms a second.
    assert max(used.values()) < 0.4, used
