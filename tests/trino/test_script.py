"""scripts/trino.sh as a person runs it: idempotent, fast when up, loud when it cannot start."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.fixtures.ports import free_port
from tests.fixtures.trino import (
    ROOT,
    TRINO_SCRIPT,
    TRINO_WORKER_PORT,
    trino_connection,
    trino_rows,
)

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


def test_status_has_a_line_per_node(trino_url: str) -> None:
    done = script("status")
    assert done.returncode == 0, done.stderr
    worker = f"http://127.0.0.1:{TRINO_WORKER_PORT}"
    assert [line.split() for line in done.stdout.splitlines()] == [
        ["trino", "up", trino_url],
        ["trino-worker", "up", worker],
    ]


def test_status_of_ports_with_no_trino_is_down(trino_url: str) -> None:
    port, worker = free_port(), free_port()
    env = {"MESHGATE_TRINO_PORT": str(port), "MESHGATE_TRINO_WORKER_PORT": str(worker)}
    done = script("status", env=env)
    assert done.returncode == 1
    assert [line.split() for line in done.stdout.splitlines()] == [
        ["trino", "down", f"http://127.0.0.1:{port}"],
        ["trino-worker", "down", f"http://127.0.0.1:{worker}"],
    ]


def test_status_is_down_when_only_the_worker_is(trino_url: str) -> None:
    worker = free_port()
    done = script("status", env={"MESHGATE_TRINO_WORKER_PORT": str(worker)})
    assert done.returncode == 1
    assert done.stdout.split()[-3:] == ["trino-worker", "down", f"http://127.0.0.1:{worker}"]


def config_files() -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(RUN.glob("*/etc/**/*")) if path.is_file()}


@pytest.mark.parametrize("variable", ["MESHGATE_TRINO_PORT", "MESHGATE_TRINO_WORKER_PORT"])
def test_up_fails_loudly_on_a_port_taken_by_something_else(trino_url: str, variable: str) -> None:
    before = config_files()
    assert before, "no node config under .run/trino"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = script("up", env={variable: str(port)})
    assert done.returncode == 1
    assert f"port {port} is taken" in done.stderr
    # The running servers' config was left alone.
    assert config_files() == before


def test_up_on_other_ports_leaves_the_running_cluster_alone(trino_url: str) -> None:
    before = config_files()
    query_id = remembered_query(trino_url)
    env = {"MESHGATE_TRINO_PORT": str(free_port()), "MESHGATE_TRINO_WORKER_PORT": str(free_port())}
    done = script("up", env=env)
    assert done.returncode == 1
    assert f"runs on port {trino_url.rsplit(':', 1)[1]}" in done.stderr, done.stderr
    # Neither the config nor the servers of the cluster were touched.
    assert config_files() == before
    assert still_listed(trino_url, query_id)
