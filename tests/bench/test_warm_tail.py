"""The pieces of bench/warm_tail.py that decide what its variants are (the script itself
needs wrk and the demo products: docs/benchmarks.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
