"""Product kits as real processes (``python -m productkit serve DIR``) for tests that need
more than one process or the command's own exit."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60.0


def _command(folder: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "productkit", "serve", str(folder), "--port", str(port),
            "--token", "kit-process-token", "--log-level", "warning"]  # fmt: skip


def run_kit(folder: Path) -> subprocess.CompletedProcess[str]:
    """Start the kit on ``folder`` expecting it to stop by itself (a refused start)."""
    return subprocess.run(
        _command(folder, 0), cwd=ROOT, capture_output=True, text=True, timeout=START_SECONDS
    )


@contextlib.contextmanager
def kit_process(folder: Path) -> Iterator[str]:
    """Serve ``folder`` from its own process on 127.0.0.1; yield its base URL; stop it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESHGATE_PRODUCT_")}
    proc = subprocess.Popen(
        _command(folder, port), cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                httpx.get(f"{base}/observe/health", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    said = proc.stderr.read() if proc.stderr else ""
                    raise RuntimeError(f"the kit exited: {said}") from None
                assert time.monotonic() < deadline, "the product kit did not start"
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def post_all(bases: list[str], path: str, each: int) -> list[int]:
    """POST ``each`` subscriptions to every base at once; the statuses, in no order."""
    jobs = [(b, i) for b in bases for i in range(each)]

    def post(job: tuple[str, int]) -> int:
        base, i = job
        return httpx.post(
            base + path, json={"endpoint": f"http://h.example/{i}"}, timeout=30
        ).status_code

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(post, jobs))
