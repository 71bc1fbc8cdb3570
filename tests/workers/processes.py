"""``meshgate serve --workers N`` as a real subprocess, and connections pinned to one of
its processes.

The gateway tells nobody which process answered (a pid is nobody's business but the
operator's), so the tests find out as the operator would: the kernel's socket table
(``/proc/net/tcp``) gives the inode of the server's end of a connection, and the one
worker holding that inode among its open files is the process serving it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fixtures.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 240.0  # two interpreters importing the whole gateway on a loaded machine


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of the loopback connection between the ports."""
    local = f"0100007F:{server_port:04X}"
    remote = f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return fields[9]
    return None


def _holder(inode: str, pids: set[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == target:
                        return pid
    return None


class Pinned:
    """One kept-alive HTTP connection to the gateway, served by process :attr:`pid`."""

    def __init__(self, port: int, pid: int, conn: http.client.HTTPConnection) -> None:
        self.port, self.pid, self._conn = port, pid, conn

    def request(
        self, method: str, path: str, body: Any = None, headers: Mapping[str, str] = {}
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        sent = {"content-type": "application/json", **headers} if data else dict(headers)
        self._conn.request(method, path, body=data, headers=sent)
        answer = self._conn.getresponse()
        raw = answer.read()
        return answer.status, json.loads(raw) if raw else None

    def query(self, query: str, headers: Mapping[str, str] = {}) -> dict[str, Any]:
        status, body = self.request("POST", "/graphql", {"query": query}, headers)
        assert status == 200, body
        assert isinstance(body, dict)
        return body

    def close(self) -> None:
        self._conn.close()


@dataclass
class Workers:
    """A running ``meshgate serve --workers N``: its supervisor process and port."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> set[int]:
        """The worker processes now (the supervisor's children but its helpers)."""
        return {pid for pid in children(self.proc.pid) if self._is_worker(pid)}

    @staticmethod
    def _is_worker(pid: int) -> bool:
        with contextlib.suppress(OSError):
            return b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
        return False

    def connect(self) -> Pinned:
        """A new connection (one request made on it) and the process that serves it."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("GET", "/healthz")
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 200
        assert conn.sock is not None
        inode = _inode(self.port, conn.sock.getsockname()[1])
        pid = _holder(inode, self.pids()) if inode else None
        assert pid is not None, "no worker holds the connection"
        return Pinned(self.port, pid, conn)

    def pin(self, pid: int, within: float = 120.0) -> Pinned:
        """A new connection served by process ``pid`` (uvicorn closes one idle for 5 s:
        pin again rather than keep one through a wait)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            c = self.connect()
            if c.pid == pid:
                return c
            c.close()
            time.sleep(0.02)
        raise AssertionError(f"no connection reached process {pid} in {within} s")

    def pin_each(self, n: int, within: float = 120.0) -> list[Pinned]:
        """One connection per process, ``n`` processes; fails if fewer answer in time
        (a worker still opening its services accepts nothing yet)."""
        pinned: dict[int, Pinned] = {}
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            c = self.connect()
            if c.pid in pinned:
                c.close()
                time.sleep(0.02)
            else:
                pinned[c.pid] = c
            if len(pinned) == n:
                return list(pinned.values())
        raise AssertionError(f"connections reached only {sorted(pinned)}; log:\n"
                             + self.log_text()[-3000:])  # fmt: skip

    def log_text(self) -> str:
        return self.log.read_text()


def _env(settings: Mapping[str, Any]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESHGATE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for name, value in settings.items():
        env[f"MESHGATE_{name.upper()}"] = str(value)
    return env


@contextlib.contextmanager
def serve_workers(tmp: Path, n: int, **settings: Any) -> Iterator[Workers]:
    """``meshgate serve --workers n`` with ``settings`` (as ``MESHGATE_*`` variables),
    once each of its ``n`` processes answers; stopped (SIGTERM, then killed) on exit."""
    port = free_port()
    log = tmp / f"gateway-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve", "--workers", str(n), "--port",
             str(port)],
            env=_env(settings), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
    workers = Workers(proc, port, log)
    try:
        _wait_ready(workers, n)
        yield workers
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            for pid in workers.pids():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            proc.kill()
            proc.wait(10)


def _wait_ready(workers: Workers, n: int) -> None:
    """Until ``n`` workers run and ``/healthz`` answers (each worker answers only once
    its services are open: uvicorn accepts after the lifespan start)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if workers.proc.poll() is not None:
            raise AssertionError(f"meshgate serve exited:\n{workers.log_text()[-3000:]}")
        if len(workers.pids()) == n:
            with contextlib.suppress(OSError, http.client.HTTPException):
                workers.connect().close()
                return
        time.sleep(0.2)
    raise AssertionError(f"meshgate serve not ready in {START_SECONDS} s:\n"
                         + workers.log_text()[-3000:])  # fmt: skip
