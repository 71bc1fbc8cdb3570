"""The Trino that scripts/trino.sh runs: pinned version, loopback only, its three catalogs."""

from __future__ import annotations

import json
import re
import secrets
import urllib.request
from pathlib import Path

import pytest

from tests.fixtures.trino import TRINO_PORT, TRINO_SCRIPT, TRINO_WORKER_PORT, trino_rows

pytestmark = pytest.mark.services


def pinned_version() -> str:
    found = re.search(r"^TRINO_VERSION=(\d+)$", TRINO_SCRIPT.read_text(), re.MULTILINE)
    assert found is not None, "scripts/trino.sh pins no TRINO_VERSION"
    return found.group(1)


def test_select_one(trino_url: str) -> None:
    assert trino_rows(trino_url, "SELECT 1") == [[1]]


def test_runs_the_pinned_version(trino_url: str) -> None:
    with urllib.request.urlopen(f"{trino_url}/v1/info", timeout=5) as response:
        info = json.load(response)
    assert info["nodeVersion"]["version"] == pinned_version()
    assert info["coordinator"] is True
    assert info["starting"] is False


def test_catalogs(trino_url: str) -> None:
    catalogs = {row[0] for row in trino_rows(trino_url, "SHOW CATALOGS")}
    assert {"demo_pg", "demo_mariadb", "memory"} <= catalogs


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port``, from /proc/net/tcp{,6}."""
    found: set[str] = set()
    for name, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                assert len(address) == width
                found.add(address)
    return found


@pytest.mark.parametrize("port", [TRINO_PORT, TRINO_WORKER_PORT], ids=["coordinator", "worker"])
def test_listens_on_loopback_only(trino_url: str, port: int) -> None:
    # 127.0.0.1 as /proc writes it: little-endian words; as tcp6, the IPv4-mapped form.
    loopback = {"0100007F", "0000000000000000FFFF00000100007F"}
    addresses = listening_addresses(port)
    assert addresses, f"nothing listens on {port}"
    assert addresses <= loopback, addresses


def test_memory_catalog_round_trip(trino_url: str) -> None:
    table = f"memory.default.t_{secrets.token_hex(4)}"
    trino_rows(
        trino_url, f"CREATE TABLE {table} AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(n, s)"
    )
    try:
        rows = trino_rows(trino_url, f"SELECT n, s FROM {table} ORDER BY n")
        assert rows == [[1, "a"], [2, "b"]]
    finally:
        trino_rows(trino_url, f"DROP TABLE {table}")
