#!/usr/bin/env python3
"""Where meshgate's time goes on the warm path of the peer benchmark's question.

    .venv/bin/python bench/profile_warm.py [--seconds 15] [--connections 8] [--ttl 15]

Starts the 9 demo product gateways and meshgate (cache TTL 15 s, as the peer benchmark
does), loads it with wrk for ``--seconds`` while py-spy samples the gateway process
(``pip install py-spy==0.4.3``; not a runtime dependency; ``--gil``: only the thread
running Python), then prints the share of
samples under each of a few named parts of the request (inclusive) and the functions with
the most samples of their own. The raw collapsed stacks go to ``--out``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the repo's packages and bench.peer

from bench.peer import install, question  # noqa: E402
from bench.peer.gateways import MESHGATE_COLD, MESHGATE_WARM, start_meshgate  # noqa: E402
from bench.peer.load import Target, run_wrk, write_lua  # noqa: E402
from bench.peer.upstreams import running_products  # noqa: E402

RUN = ROOT / ".run" / "peer-bench"

# A part of the request: a frame whose function or file contains the marker.
PARTS = {
    "uvicorn HTTP protocol (h11 or httptools)": ("h11_impl.py", "httptools_impl.py"),
    "parsing (graphql-core)": ("language/parser.py",),
    "validation (graphql-core rules + ours)": ("validation/validate.py",),
    "execution (graphql-core + Strawberry fields)": ("execution/execute.py",),
    "result cache (meshgate)": ("gateway/result_cache",),
    "answer to JSON": ("encode_json",),
    "request context": ("new_context",),
    "registry reads": ("gateway/registry/",),
    "health field": ("product_health",),
    "upstream fetches (meshgate's fetcher, httpx, httpcore)": ("gateway/upstream/",),
    "of which the HTTP client (httpx, httpcore)": ("httpx/", "httpcore/"),
    "JSON decoding of upstream answers": ("json/decoder.py",),
}


def summarize(raw: str, top: int) -> str:
    """The share of samples per part and the busiest functions of a py-spy raw file."""
    parts: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        for part, markers in PARTS.items():
            if any(m in f for f in frames for m in markers):
                parts[part] += count
        own[frames[-1]] += count
    lines = [f"{total} samples"]
    lines += [f"{100 * n / total:5.1f} %  {part}" for part, n in parts.most_common()]
    lines.append("\nfunctions with the most samples of their own:")
    lines += [f"{100 * n / total:5.1f} %  {f}" for f, n in own.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--ttl", type=float, default=15.0, help="the gateway's cache TTL (0: the no-cache path)"
    )
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, default=ROOT / ".run" / "profile-warm.txt")
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    install.install_wrk()
    RUN.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        products = stack.enter_context(running_products(RUN))
        label = MESHGATE_WARM if args.ttl > 0 else MESHGATE_COLD
        gateway = start_meshgate(label, args.ttl, products, RUN)
        stack.callback(gateway.process.stop)
        lua = write_lua(RUN / "meshgate.lua", question.MESHGATE_QUERY)
        target = Target(label, gateway.url, lua, gateway.process)
        run_wrk(target, args.connections, 3)  # warm the cache
        record = subprocess.Popen([spy, "record", "--pid", str(gateway.process.pid),
                                   "--format", "raw", "--output", str(args.out), "--gil",
                                   "--rate", "250", "--duration", f"{args.seconds:g}"],
                                  stdout=subprocess.DEVNULL)  # fmt: skip
        load = run_wrk(target, args.connections, args.seconds)
        record.wait(timeout=args.seconds + 60)
    print(f"wrk c={args.connections}: {load.rps:.0f} req/s, p50 {load.p50_ms:.1f} ms, "
          f"p99 {load.p99_ms:.1f} ms")  # fmt: skip
    print(summarize(args.out.read_text(), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
