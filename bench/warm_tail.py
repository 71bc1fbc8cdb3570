#!/usr/bin/env python3
"""What the warm-cache tail (p99 / p50) of the peer benchmark's question is made of.

    .venv/bin/python bench/warm_tail.py [--seconds 10] [--windows 2] [--rounds 2] [--connections 8]

Starts the 9 demo product gateways, then, one at a time and in rounds, a meshgate under
each variant below; loads it with wrk (``--windows`` windows of ``--seconds`` after a 3 s
warm-up) and prints each window's req/s, p50, p99 and their ratio, with the machine's
CPU split over the windows (``/proc/stat``: idle and steal tell whether the host was
short of CPU):

- ``as served``: cache TTL 15 s, as the peer benchmark runs it (an answer refreshed in
  the background every 15 s);
- ``no refresh``: TTL 3600 s, so no refresh falls in a window;
- ``refresh every 3 s``: TTL 3 s, five times as many refresh moments as served, so that
  what a refresh costs the tail shows above the host's noise;
- ``no health monitor``: ``MESHGATE_HEALTH_REFRESH_SECONDS=86400``, so the products are
  judged once at start and never in a window (each judgement asks every product for its
  observability results, which the 9 products, on the same two cores, compute then: a
  burst of their CPU every 60 s);
- ``no collector``: ``gc.disable()`` at interpreter start (a ``sitecustomize`` on the
  gateway's ``PYTHONPATH``), so no garbage collection runs;
- ``pinned``: the gateway's threads on CPU 0 and wrk on CPU 1 (``taskset``), so the load
  generator never takes the gateway's core;
- ``uvloop``: ``MESHGATE_EVENT_LOOP=uvloop``, the C event loop instead of the standard
  library's (the default since 3 Dec 2026; until then the variant was ``asyncio loop``);
- ``floor: bare ASGI`` and ``floor: nginx`` (bench/peer/floors.py): no gateway, the same
  bytes answered by an ASGI app that does nothing else under meshgate's server (uvicorn,
  its default loop, httptools), and by nginx serving them as a file (left out, and said
  so, when nginx is not installed). The tail of the machine and the load generator alone.

Not a target's judge (bench/peer_gateways.py is): it tells which of these the tail
follows.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the repo's packages and bench.peer

from bench.peer import floors, install, question  # noqa: E402
from bench.peer.gateways import start_meshgate  # noqa: E402
from bench.peer.load import Target, run_wrk, write_lua  # noqa: E402
from bench.peer.procs import Started  # noqa: E402
from bench.peer.upstreams import Product, running_products  # noqa: E402

RUN = ROOT / ".run" / "peer-bench"
FLOOR_ASGI, FLOOR_NGINX = "floor: bare ASGI", "floor: nginx"
UVLOOP = "uvloop"
NO_MONITOR = "no health monitor"
OFTEN = "refresh every 3 s"
VARIANTS = ("as served", "no refresh", OFTEN, NO_MONITOR, "no collector", "pinned", UVLOOP,
            FLOOR_ASGI, FLOOR_NGINX)  # fmt: skip
CPU_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def cpu_jiffies() -> list[int]:
    """The machine's CPU time so far, per :data:`CPU_FIELDS`."""
    with open("/proc/stat") as stat:
        return [int(v) for v in stat.readline().split()[1 : 1 + len(CPU_FIELDS)]]


def shims(folder: Path) -> tuple[Path, Path]:
    """(a PYTHONPATH folder whose sitecustomize turns the collector off, a PATH folder
    whose ``wrk`` runs on CPU 1)."""
    nogc, pinned = folder / "nogc", folder / "pinned"
    nogc.mkdir()
    pinned.mkdir()
    (nogc / "sitecustomize.py").write_text("import gc\n\ngc.disable()\n")
    wrk = pinned / "wrk"
    wrk.write_text(f'#!/bin/sh\nexec taskset -c 1 {shutil.which("wrk") or "wrk"} "$@"\n')
    wrk.chmod(0o755)
    return nogc, pinned


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--windows", type=int, default=2, help="windows per variant and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--only", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    args = parser.parse_args(argv)
    install.install_wrk()
    RUN.mkdir(parents=True, exist_ok=True)
    print("| variant | window | req/s | p50 ms | p99 ms | p99 / p50 | idle % | steal % |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|")
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        nogc, pinned = shims(scratch)
        products = stack.enter_context(running_products(RUN))
        lua = write_lua(RUN / "meshgate.lua", question.MESHGATE_QUERY)
        answer = scratch / "answer.json"
        # Apart: nginx's worker (nobody) reads it, and cannot pass the 0700 scratch folder.
        served = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="meshgate-nginx-")))
        if {FLOOR_ASGI, FLOOR_NGINX} & set(args.only):
            answer.write_bytes(meshgate_answer(products))
        for _ in range(args.rounds):
            for variant in args.only:
                started = start_variant(variant, products, nogc, answer, served)
                if started is None:
                    print(f"| {variant} | left out: nginx is not installed | | | | | | |")
                    continue
                url, process = started
                path = os.environ["PATH"]
                try:
                    if variant == "pinned":
                        subprocess.run(["taskset", "-a", "-p", "-c", "0", str(process.pid)],
                                       check=True, capture_output=True)  # fmt: skip
                        os.environ["PATH"] = f"{pinned}{os.pathsep}{path}"
                    target = Target(variant, url, lua, process)
                    run_wrk(target, args.connections, 3)  # warm the cache
                    for window in range(1, args.windows + 1):
                        before = cpu_jiffies()
                        load = run_wrk(target, args.connections, args.seconds)
                        spent = [b - a for a, b in zip(before, cpu_jiffies(), strict=True)]
                        share = {
                            f: 100 * v / max(1, sum(spent))
                            for f, v in zip(CPU_FIELDS, spent, strict=True)
                        }
                        ratio = load.p99_ms / load.p50_ms
                        # A server answering errors fast is no floor: say so on its row.
                        bad = f" ({load.errors} error answers)" if load.errors else ""
                        print(f"| {variant}{bad} | {window} | {load.rps:.0f} | {load.p50_ms:.2f} | "
                              f"{load.p99_ms:.2f} | {ratio:.1f} | {share['idle']:.0f} | "
                              f"{share['steal']:.1f} |", flush=True)  # fmt: skip
                finally:
                    os.environ["PATH"] = path
                    process.stop()
    return 0


def start_variant(
    variant: str, products: list[Product], nogc: Path, answer: Path, served: Path
) -> tuple[str, Started] | None:
    """The server of ``variant``: (its GraphQL URL, its process); None if not installed."""
    if variant == FLOOR_ASGI:
        return floors.start_fixed_asgi(answer, RUN)
    if variant == FLOOR_NGINX:
        return floors.start_nginx(answer, served, RUN)
    ttl = {"no refresh": 3600.0, OFTEN: 3.0}.get(variant, 15.0)
    env = {"PYTHONPATH": str(nogc)} if variant == "no collector" else {}
    env |= {"MESHGATE_EVENT_LOOP": "uvloop"} if variant == UVLOOP else {}
    env |= {"MESHGATE_HEALTH_REFRESH_SECONDS": "86400"} if variant == NO_MONITOR else {}
    gateway = start_meshgate(variant, ttl, products, RUN, extra_env=env)
    return gateway.url, gateway.process


def meshgate_answer(products: list[Product]) -> bytes:
    """The bytes meshgate answers the question with (what the floors answer), checked."""
    gateway = start_meshgate("answer for the floors", 15.0, products, RUN)
    try:
        body = {"query": question.MESHGATE_QUERY}
        got = httpx.post(gateway.url, json=body, timeout=60)
    finally:
        gateway.process.stop()
    if got.status_code != 200 or b'"errors"' in got.content:
        raise SystemExit(f"meshgate did not answer the question: {got.text[:500]}")
    return got.content


if __name__ == "__main__":
    sys.exit(main())
