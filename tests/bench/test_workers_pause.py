"""A gateway paused between windows is paused whole: ``meshgate serve --workers N`` serves
from its workers, which would otherwise keep running (health rounds, CPU) while another
gateway is measured."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.peer.procs import Started, descendants

TREE = (
    "import subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "time.sleep(60)\n"
)


def _states(*pids: int, within: float = 10.0, want: str) -> set[str]:
    """The processes' states once all are ``want`` (a signal is delivered soon, not at
    once), or as they are when ``within`` seconds have passed."""
    deadline = time.monotonic() + within
    while True:
        found = {Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] for p in pids}
        if found == {want} or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_pause_stops_the_workers_and_resume_wakes_them(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", TREE])
    started = Started("tree", proc, tmp_path / "tree.log")
    try:
        deadline = time.monotonic() + 30
        while not (workers := descendants(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers) == 1
        (worker,) = workers
        started.pause()
        assert _states(proc.pid, worker, want="T") == {"T"}
        started.resume()
        assert "T" not in _states(proc.pid, worker, want="S")
    finally:
        started.stop()
        for pid in workers:
            subprocess.run(["kill", str(pid)], check=False)
