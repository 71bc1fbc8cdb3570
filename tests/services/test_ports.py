"""scripts/ports.sh: the fixed service ports kept bindable.

The services listen on fixed ports inside Linux's ephemeral range, so an outgoing loopback
connection can take one as its local port; its TIME-WAIT socket, made without
SO_REUSEADDR, then blocks a server's bind for 60 s. That failed a CI run: the Trino
coordinator exited with "Failed to bind to /127.0.0.1:58080" although nothing listened.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.fixtures.ports import free_port
from tests.fixtures.services import ROOT
from tests.fixtures.trino import TRINO_WORKER_PORT

pytestmark = pytest.mark.services

PORTS_SCRIPT = ROOT / "scripts" / "ports.sh"
KERNEL_LIST = Path("/proc/sys/net/ipv4/ip_local_reserved_ports")
PRELUDE = 'die() { echo "die: $*" >&2; exit 1; }; say() { echo "say: $*" >&2; }; . "$1"; shift; '


def ports(body: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``body`` run by bash with ports.sh sourced; its arguments follow."""
    return subprocess.Popen(
        ["bash", "-c", PRELUDE + body, "ports", str(PORTS_SCRIPT), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
    )


def run(body: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    proc = ports(body, *args, env=env)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


@contextmanager
def connection_from(port: int) -> Iterator[tuple[socket.socket, socket.socket]]:
    """A loopback connection whose client's local port is ``port``, made as a client makes
    one (no SO_REUSEADDR): (client, the server's end)."""
    with socket.socket() as listener, socket.socket() as client:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)
        client.bind(("127.0.0.1", port))
        client.connect(listener.getsockname())
        accepted, _ = listener.accept()
        with accepted:
            yield client, accepted


def server_can_bind(port: int) -> bool:
    """What a server (SO_REUSEADDR, as Trino, PostgreSQL and Redis set it) gets from bind."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            server.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_a_free_port_is_bindable_at_once() -> None:
    started = time.monotonic()
    code, _, err = run('wait_bindable "$1"', str(free_port()))
    assert (code, err) == (0, "")
    assert time.monotonic() - started < 5


def test_a_port_held_by_a_connection_is_waited_for_until_it_ends() -> None:
    port = free_port()
    with connection_from(port) as (client, accepted):
        assert not server_can_bind(port)
        waiting = ports('wait_bindable "$1"', str(port))
        time.sleep(1.5)
        still_waiting = waiting.poll() is None
        # The server's end closes first: its TIME-WAIT is on the listener's port, and the
        # client's port is free once the client has closed too.
        accepted.close()
        time.sleep(0.1)
        client.close()
        _, err = waiting.communicate(timeout=30)
    assert still_waiting, err
    assert waiting.returncode == 0, err
    assert f"port {port} cannot be bound yet" in err
    assert f"127.0.0.1:{port}" in err  # the connection is named
    assert server_can_bind(port)


def test_the_time_wait_of_a_client_blocks_a_server_and_the_wait_gives_up_naming_it() -> None:
    port = free_port()
    with connection_from(port) as (client, accepted):
        client.close()  # the client closes first: its socket ends in TIME-WAIT
        time.sleep(0.1)
        accepted.close()
        time.sleep(0.1)
    assert not server_can_bind(port)
    started = time.monotonic()
    code, _, err = run('wait_bindable "$1"', str(port), env={"MESHGATE_PORT_WAIT": "2"})
    assert code == 1
    assert time.monotonic() - started >= 1  # bash's SECONDS counts whole seconds
    assert f"TIME-WAIT 0      0      127.0.0.1:{port}" in err
    assert f"die: port {port} could still not be bound after 2 s" in err


def test_a_listener_is_refused_at_once() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        started = time.monotonic()
        code, _, err = run('wait_bindable "$1"', str(port))
    assert code == 1
    assert f"die: port {port} is taken by a program listening there" in err
    assert time.monotonic() - started < 10  # not the 90 s wait


needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="reserving ports writes a kernel setting, which needs root"
)


@needs_root
def test_reserving_adds_only_the_ports_missing_from_the_list(tmp_path: Path) -> None:
    listed = tmp_path / "reserved"
    listed.write_text("100-200,300\n")
    body = 'PORTS_FILE="$1"; shift; reserve_ports "$@"'
    code, _, err = run(body, str(listed), "150", "300", "400", "201")
    assert code == 0, err
    assert listed.read_text() == "100-200,300,400,201\n"
    assert (
        err
        == "say: reserved ports 400,201: outgoing connections no longer take them as local ports\n"
    )
    # A second time, nothing is missing: nothing written, nothing said.
    code, _, err = run(body, str(listed), "400", "201", "100")
    assert (code, err) == (0, "")
    assert listed.read_text() == "100-200,300,400,201\n"
    # The operator's way out.
    code, _, err = run(body, str(listed), "500", env={"MESHGATE_RESERVE_PORTS": "0"})
    assert (code, err) == (0, "")
    assert listed.read_text() == "100-200,300,400,201\n"


def kernel_reserved() -> set[int]:
    found: set[int] = set()
    for item in KERNEL_LIST.read_text().strip().split(","):
        if item:
            low, _, high = item.partition("-")
            found.update(range(int(low), int(high or low) + 1))
    return found


@needs_root
def test_the_services_and_trino_ports_are_out_of_the_ephemeral_range(
    postgres_dsn: str, mariadb_dsn: str, redis_url: str, trino_url: str
) -> None:
    if not os.access(KERNEL_LIST, os.W_OK):
        pytest.skip(f"{KERNEL_LIST} is read-only here: the scripts cannot reserve ports")
    wanted = {
        int(url.rsplit(":", 1)[1].split("/")[0])
        for url in (postgres_dsn, mariadb_dsn, redis_url, trino_url)
    } | {TRINO_WORKER_PORT}
    assert len(wanted) == 5
    assert wanted <= kernel_reserved()
