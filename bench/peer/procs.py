"""Processes of the benchmark: free loopback ports, start and wait, pause, CPU time.

CPU is read from ``/proc/<pid>/stat`` (utime + stime of the process and of every live
descendant, plus what its reaped children used), so a gateway that forks workers is
charged for them too.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A loopback port nobody listens on now (the kernel's pick)."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Started:
    """A process the benchmark started, with where its output goes."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    paused: bool = field(default=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def tail(self, lines: int = 20) -> str:
        """The end of its log, to say why it failed."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def pause(self) -> None:
        """SIGSTOP: an idle gateway's timers (health rounds, polling) neither use CPU nor
        call the products while another gateway is measured."""
        if not self.paused and self.proc.poll() is None:
            for pid in (self.pid, *descendants(self.pid)):  # a server's workers too
                with suppress(OSError):
                    os.kill(pid, signal.SIGSTOP)
            self.paused = True

    def resume(self) -> None:
        if self.paused:
            for pid in (self.pid, *descendants(self.pid)):
                with suppress(OSError):
                    os.kill(pid, signal.SIGCONT)
            self.paused = False

    def stop(self) -> None:
        """Terminate (resumed first, so it can act on the signal); kill after 10 s."""
        if self.proc.poll() is not None:
            return
        self.resume()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def start(
    name: str, cmd: Sequence[str], *, cwd: Path, env: Mapping[str, str], logs: Path
) -> Started:
    """Start ``cmd`` with its output in ``logs/<name>.log``."""
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(cmd), cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT
        )
    return Started(name, proc, log)


def wait_until(started: Started, ready: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``ready`` until true; fail with the process's log if it dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if started.proc.poll() is not None:
            raise SystemExit(
                f"{started.name} exited with code {started.proc.returncode} before {what}:\n"
                f"{started.tail()}"
            )
        try:
            if ready():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{started.name}: no {what} within {timeout:.0f} s:\n{started.tail()}")


def answers_get(url: str) -> Callable[[], bool]:
    """A readiness probe: ``url`` answers 200."""
    return lambda: httpx.get(url, timeout=2.0).status_code == 200


def _stat(pid: int) -> tuple[int, int, int] | None:
    """(ppid, own ticks, reaped children's ticks) of ``pid``, None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: the fields after it follow its ")".
    fields = raw[raw.rindex(")") + 2 :].split()
    ppid, utime, stime, cutime, cstime = (int(fields[i]) for i in (1, 11, 12, 13, 14))
    return ppid, utime + stime, cutime + cstime


def _table() -> tuple[dict[int, int], dict[int, int]]:
    """(parent, own ticks) of every process now."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            found = _stat(int(entry))
            if found is not None:
                parents[int(entry)] = found[0]
                ticks[int(entry)] = found[1]
    return parents, ticks


def _descendants(root: int, parents: dict[int, int]) -> set[int]:
    tree = {root}
    grew = True
    while grew:  # descendants: processes whose parent is in the tree
        grew = False
        for pid, ppid in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return tree - {root}


def descendants(root: int) -> set[int]:
    """The live processes below ``root`` (a server's workers)."""
    return _descendants(root, _table()[0])


def cpu_seconds(root: int) -> float:
    """CPU seconds used so far by ``root`` and its descendants (live and reaped)."""
    parents, ticks = _table()
    root_stat = _stat(root)
    if root_stat is None:
        raise SystemExit(f"process {root} is gone")
    total = root_stat[1] + root_stat[2]
    total += sum(ticks[pid] for pid in _descendants(root, parents))
    return total / TICKS


def wait_quiet(pid: int, timeout: float = 600.0) -> float:
    """Wait until the process ``pid`` spends under 10% of a core for two seconds running
    (its background work after start is done); the seconds waited."""
    began = time.perf_counter()
    before = cpu_seconds(pid)
    quiet = 0
    while quiet < 2 and time.perf_counter() - began < timeout:
        time.sleep(1.0)
        now = cpu_seconds(pid)
        quiet = quiet + 1 if now - before < 0.1 else 0
        before = now
    return time.perf_counter() - began
