"""``make serve ENGINE=trino``: the demo mesh (``demo/mesh.py up --engine trino``) answers a
cross-product SQL query on the Trino cluster as it does on DuckDB over the files.

The three products the join reads are started, as a newcomer's ``make serve`` starts them
(a real ``demo/mesh.py`` process), on free ports and with a registry in memory; the start
and every query are bounded in time.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from demo.stores import StoredTable
from tests.federation.two_engines.compare import normalised
from tests.graph.conftest import ROOT
from tests.graph.test_sql import JOIN, SQL, join_over_the_files

pytestmark = pytest.mark.services

PRODUCTS = "physical-risk,flood-areas,global-precipitation"  # what JOIN reads
START_SECONDS = 180  # 44 s seen with the machine's load at 16 on 2 cores


@dataclass
class Demo:
    graphql: str
    output: str  # what mesh.py printed until it was ready

    def sql(self, engine: str | None) -> dict[str, Any]:
        tokens = json.loads((ROOT / ".run" / "demo-auth" / "tokens.json").read_text())
        answer = httpx.post(
            self.graphql,
            json={"query": SQL, "variables": {"q": JOIN, "e": engine, "n": None}},
            headers={"Authorization": f"Bearer {tokens['admin']}"},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"]["sql"]
        return result


def free_ports(count: int) -> list[int]:
    """``count`` consecutive ports that nothing listens on now."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = int(probe.getsockname()[1])
        if first + count > 65535:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as held:
                    held.bind(("127.0.0.1", port))
        except OSError:
            continue
        return list(range(first, first + count))


def read_until_ready(proc: subprocess.Popen[str], deadline: float) -> str:
    """mesh.py's output up to its ``GraphiQL:`` line; fails on exit or at ``deadline``.

    Lines are read in a thread: a pipe read in the test's thread could block past it."""
    assert proc.stdout is not None
    stdout = proc.stdout
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:  # until mesh.py exits: a full pipe would block it
        for line in stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=min(left, 1.0))
        except queue.Empty:
            if proc.poll() is not None:
                pytest.fail(f"mesh.py exited {proc.returncode}:\n{''.join(seen)}", pytrace=False)
            continue
        seen.append(line)
        if line.startswith("GraphiQL:"):
            return "".join(seen)
    pytest.fail(f"mesh.py not ready in {START_SECONDS}s:\n{''.join(seen)}", pytrace=False)


@pytest.fixture(scope="module")
def demo(trino_url: str, demo_stores: list[StoredTable]) -> Iterator[Demo]:
    gateway, first_product = free_ports(4)[0:2]  # the gateway, then the 3 products
    env = {**os.environ, "MESHGATE_REGISTRY_URL": "sqlite://:memory:"}
    env["MESHGATE_LOG_LEVEL"] = "warning"
    for chosen_by_the_demo in ("MESHGATE_TRINO_URL", "MESHGATE_SQL_ENGINE"):
        env.pop(chosen_by_the_demo, None)
    command = [sys.executable, str(ROOT / "demo" / "mesh.py"), "up", "--engine", "trino"]
    command += ["--products", PRODUCTS, "--gateway-port", str(gateway)]
    command += ["--first-product-port", str(first_product)]
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        output = read_until_ready(proc, time.monotonic() + START_SECONDS)
        yield Demo(f"http://127.0.0.1:{gateway}/graphql", output)
    finally:
        proc.terminate()  # mesh.py stops its product gateways and the gateway
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_start_names_both_engines_and_trino_the_default(trino_url: str, demo: Demo) -> None:
    assert f"TRINO at {trino_url}" in demo.output
    assert "TRINO when a query names none" in demo.output


def test_the_cross_product_join_is_the_same_on_trino_and_duckdb(demo: Demo) -> None:
    on_trino = demo.sql(None)  # the demo's default engine
    on_duckdb = demo.sql("DUCKDB")
    assert (on_trino["engine"], on_duckdb["engine"]) == ("TRINO", "DUCKDB")
    assert '"demo_pg"' in on_trino["executedSql"]
    assert not on_trino["truncated"] and not on_duckdb["truncated"]
    expected = normalised(join_over_the_files())
    assert expected
    assert normalised([tuple(r) for r in on_trino["rows"]]) == expected
    assert normalised([tuple(r) for r in on_duckdb["rows"]]) == expected
