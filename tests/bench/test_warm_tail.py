"""The pieces of bench/warm_tail.py that decide what its variants are (the script itself
needs wrk and the demo products: docs/benchmarks.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from bench.peer import floors
from bench.warm_tail import CPU_FIELDS, cpu_jiffies, shims


def test_the_no_collector_variant_starts_python_with_the_collector_off(tmp_path: Path) -> None:
    nogc, _ = shims(tmp_path)
    probe = [sys.executable, "-c", "import gc; print(gc.isenabled())"]
    off = subprocess.run(probe, env={**os.environ, "PYTHONPATH": str(nogc)},
                         capture_output=True, text=True, check=True)  # fmt: skip
    on = subprocess.run(probe, capture_output=True, text=True, check=True)
    assert (off.stdout.strip(), on.stdout.strip()) == ("False", "True")


def test_the_pinned_variant_runs_wrk_on_the_second_cpu(tmp_path: Path) -> None:
    _, pinned = shims(tmp_path)
    wrk = pinned / "wrk"
    assert os.access(wrk, os.X_OK)
    first, command = wrk.read_text().splitlines()
    assert first == "#!/bin/sh" and command.startswith("exec taskset -c 1 ")
    assert command.endswith(' "$@"')


def test_the_machine_cpu_split_is_read_and_grows() -> None:
    before = cpu_jiffies()
    sum(i * i for i in range(2_000_000))  # some CPU for the counters to move
    after = cpu_jiffies()
    assert len(before) == len(after) == len(CPU_FIELDS)
    assert all(b >= a >= 0 for a, b in zip(before, after, strict=True))
    assert sum(after) > sum(before)


def _post_twice(url: str) -> list[httpx.Response]:
    with httpx.Client(timeout=10) as client:
        body = {"query": "{ products(first: 50) { edges { node { id } } } }"}
        return [client.post(url, json=body) for _ in range(2)]


def test_the_bare_asgi_floor_answers_every_post_with_the_given_bytes(tmp_path: Path) -> None:
    answer = tmp_path / "answer.json"
    answer.write_bytes(b'{"data":{"products":{"edges":[{"node":{"id":"\xc3\xa9"}}]}}}')
    url, process = floors.start_fixed_asgi(answer, tmp_path / "logs")
    try:
        got = _post_twice(url)
    finally:
        process.stop()
    assert [(r.status_code, r.content) for r in got] == [(200, answer.read_bytes())] * 2
    assert got[0].headers["content-type"] == "application/json"
    assert process.proc.returncode is not None  # stopped


@pytest.mark.skipif(
    floors.nginx_binary() is None,
    reason="nginx is not installed: bench/warm_tail.py leaves its floor out and says so",
)
def test_the_nginx_floor_answers_a_post_with_the_given_bytes(tmp_path: Path) -> None:
    answer = tmp_path / "answer.json"
    answer.write_bytes(b'{"data":{"products":{"edges":[]}}}')
    if os.geteuid() == 0:  # as root, nginx's worker is nobody: it could not read it
        # pytest's tmp_path sits in a 0700 folder that nobody cannot pass.
        with pytest.raises(SystemExit, match="cannot pass"):
            floors.start_nginx(answer, tmp_path / "served", tmp_path / "logs")
    served = Path(tempfile.mkdtemp(prefix="meshgate-nginx-test-"))
    try:
        started = floors.start_nginx(answer, served, tmp_path / "logs")
    except BaseException:
        shutil.rmtree(served)
        raise
    assert started is not None
    url, process = started
    try:
        got = _post_twice(url)
    finally:
        process.stop()
        shutil.rmtree(served)
    assert [(r.status_code, r.content) for r in got] == [(200, answer.read_bytes())] * 2
    assert got[0].headers["content-type"] == "application/json"
