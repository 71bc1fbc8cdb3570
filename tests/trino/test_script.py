"""scripts/trino.sh as a person runs it: idempotent, fast when up, loud when it cannot start."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.fixtures.trino import ROOT, TRINO_SCRIPT, trino_connection, trino_rows

pytestmark = pytest.mark.services
RUN = ROOT / ".run" / "trino"


def script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(TRINO_SCRIPT), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
        check=False,
        env={**os.environ, **(env or {})},
    )


def remembered_query(url: str) -> str:
    """The id of a query run now; a restarted server no longer lists it."""
    with contextlib.closing(trino_connection(url)) as conn:
        cur = conn.cursor()
        cur.execute("SELECT 1")
        cur.fetchall()
        return str(cur.query_id)


def still_listed(url: str, query_id: str) -> bool:
    rows = trino_rows(
        url, f"SELECT count(*) FROM system.runtime.queries WHERE query_id = '{query_id}'"
    )
    return rows == [[1]]


def test_up_when_running_is_fast_and_keeps_the_server(trino_url: str) -> None:
    query_id = remembered_query(trino_url)
    assert still_listed(trino_url, query_id)
    started = time.monotonic()
    done = script("up")
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert trino_url in done.stdout
    # Starting Trino takes tens of seconds; finding it running, a fraction of one (2.9 s
    # was seen once right after the fuzz suite had kept Trino busy on a loaded machine).
    assert elapsed < 6, f"`up` with Trino running took {elapsed:.1f}s"
    assert "starting" not in done.stderr
    assert still_listed(trino_url, query_id), "`up` restarted a running Trino"


def test_status(trino_url: str) -> None:
    done = script("status")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["trino", "up", trino_url]


def test_status_of_a_port_with_no_trino_is_down(trino_url: str) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    done = script("status", env={"MESHGATE_TRINO_PORT": str(port)})
    assert done.returncode == 1
    assert done.stdout.split() == ["trino", "down", f"http://127.0.0.1:{port}"]


def config_files() -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted((RUN / "etc").rglob("*")) if path.is_file()}


def test_up_fails_loudly_on_a_port_taken_by_something_else(trino_url: str) -> None:
    before = config_files()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = script("up", env={"MESHGATE_TRINO_PORT": str(port)})
    assert done.returncode == 1
    assert f"port {port} is taken" in done.stderr
    # The running server's config was left alone.
    assert config_files() == before
