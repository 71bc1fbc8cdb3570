#!/usr/bin/env python3
"""meshgate next to the peer gateways, side by side in one run: req/s, p50, p99, CPU and
upstream calls per request for the same question (issue 10).

    .venv/bin/python bench/peer_gateways.py [--seconds 20] [--connections 8 32] [--repeats 3]

One command: installs the peer (``npm ci`` in bench/peer, pinned: Hive Gateway 2.15.1,
GraphQL Mesh compose with OpenAPI sources) and wrk (scripts/wrk.sh), starts the 9 demo
product gateways on 127.0.0.1, composes the peer's supergraph over their
``/discover/openapi.json``, starts Hive Gateway (Rust router runtime and default runtime)
and meshgate (cache TTL 15 s and TTL 0), checks that every gateway and the direct client
answer the same data for the 9 products, then measures windows of ``--seconds`` per gateway
and connection count, interleaved, ``--repeats`` times; the gateways not under load are
paused (SIGSTOP) meanwhile. Prints the medians with req/s against the Rust router runtime
and writes everything to ``--json``. Needs ``demo/data`` (``make demo-data``).
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the repo's packages and bench.peer

from bench.env_option import add_env_option  # noqa: E402
from bench.peer import install, question, report  # noqa: E402
from bench.peer.compose import compose, peer_query  # noqa: E402
from bench.peer.gateways import (  # noqa: E402  # noqa: E402  # noqa: E402
    DIRECT,
    HIVE_DEFAULT,
    HIVE_ROUTER,
    MESHGATE_COLD,
    MESHGATE_WARM,
    ORDER,
    Gateway,
    start_hive,
    start_meshgate,
)
from bench.peer.load import (  # noqa: E402
    Target,
    add_window_options,
    direct_once,
    window,
    write_lua,
)
from bench.peer.upstreams import Product, running_products  # noqa: E402

RUN = ROOT / ".run" / "peer-bench"
CHECK_ATTEMPTS, CHECK_PAUSE = 10, 3.0  # a gateway's answer checked until it settles
T0 = time.monotonic()


def say(message: str) -> None:
    """A progress line with the seconds since the start."""
    print(f"[{time.monotonic() - T0:6.1f} s] {message}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_window_options(parser, seconds=20.0, max_minutes=45.0)
    parser.add_argument("--only", nargs="+", choices=("warm", "cold", "router", "default",
                        "direct"), help="measure only these (all)")  # fmt: skip
    parser.add_argument("--before", type=Path, metavar="DIR",
                        help="also meshgate (cache warm) from the checkout DIR, e.g. an "
                        "export of main: before and after side by side")  # fmt: skip
    add_env_option(parser, "--before-env", "environment of the --before gateway only")
    parser.add_argument("--json", type=Path, default=ROOT / ".run" / "peer-gateways.json",
                        help="where the results go (.run/peer-gateways.json)")  # fmt: skip
    return parser.parse_args(argv)


KEYS = {"warm": MESHGATE_WARM, "cold": MESHGATE_COLD, "router": HIVE_ROUTER,
        "default": HIVE_DEFAULT, "direct": DIRECT}  # fmt: skip


def before_label(args: argparse.Namespace) -> str:
    return f"meshgate before ({args.before.name}), cache warm (TTL 15 s)"


def start_gateways(
    stack: ExitStack, wanted: set[str], products: list[Product], notes: list[str],
    args: argparse.Namespace,
) -> dict[str, Gateway]:  # fmt: skip
    """Every gateway of ``wanted`` (labels), started, stopped when ``stack`` closes."""
    gateways: dict[str, Gateway] = {}

    def keep(gateway: Gateway) -> None:
        gateways[gateway.label] = gateway
        stack.callback(gateway.process.stop)

    if args.before is not None:
        label = before_label(args)
        say(f"starting {label}")
        keep(start_meshgate(label, 15.0, products, RUN, root=args.before.resolve(),
                            extra_env=args.before_env))  # fmt: skip

    if wanted & {MESHGATE_WARM, MESHGATE_COLD}:
        for label, ttl in ((MESHGATE_WARM, 15.0), (MESHGATE_COLD, 0.0)):
            if label in wanted:
                say(f"starting {label}")
                keep(start_meshgate(label, ttl, products, RUN))
    if wanted & {HIVE_ROUTER, HIVE_DEFAULT}:
        say("composing the peer's supergraph (mesh-compose, 9 OpenAPI sources)")
        supergraph = compose(products, RUN)
        if HIVE_ROUTER in wanted:
            say(f"starting {HIVE_ROUTER}")
            try:
                keep(start_hive(HIVE_ROUTER, supergraph, router=True, logs=RUN))
            except (RuntimeError, SystemExit) as exc:
                notes.append(f"{HIVE_ROUTER} unavailable ({exc}); ratios against {HIVE_DEFAULT}")
                say(notes[-1])
                wanted.add(HIVE_DEFAULT)
        if HIVE_DEFAULT in wanted:
            say(f"starting {HIVE_DEFAULT}")
            keep(start_hive(HIVE_DEFAULT, supergraph, router=False, logs=RUN))
    return gateways


def check_answers(
    gateways: dict[str, Gateway], products: list[Product], client: httpx.Client
) -> None:
    """Fail loudly unless every gateway answers the products' own data for all of them."""
    reference = question.direct_rows(direct_once(products))
    peer = peer_query(products)
    for label, gw in gateways.items():
        hive = label in (HIVE_ROUTER, HIVE_DEFAULT)
        for attempt in range(CHECK_ATTEMPTS):
            body = client.post(gw.url, json={"query": peer if hive else question.MESHGATE_QUERY})
            if body.status_code != 200:
                raise SystemExit(f"{label}: HTTP {body.status_code}: {body.text[:1000]}")
            rows = (question.peer_rows(body.json(), len(products)) if hive
                    else question.meshgate_rows(body.json()))  # fmt: skip
            try:
                question.same_data(reference, rows, label, len(products))
                break
            except SystemExit:
                # A product's first health check can time out on a loaded machine: the
                # gateway's verdict settles at its next round.
                if attempt == CHECK_ATTEMPTS - 1:
                    raise
                time.sleep(CHECK_PAUSE)
    say(
        f"answers checked: {len(gateways)} gateways and the direct client carry the same "
        f"data for the {len(products)} products"
    )


def measure(
    args: argparse.Namespace, order: list[str], gateways: dict[str, Gateway],
    products: list[Product], client: httpx.Client, started: float,
) -> tuple[list[dict[str, Any]], bool]:  # fmt: skip
    """Every window, interleaved; (windows, complete)."""
    peer_lua = write_lua(RUN / "peer.lua", peer_query(products))
    meshgate_lua = write_lua(RUN / "meshgate.lua", question.MESHGATE_QUERY)
    targets = {}
    for label in order:
        if label == DIRECT:
            targets[label] = Target(label)
            continue
        gw = gateways[label]
        lua = peer_lua if label in (HIVE_ROUTER, HIVE_DEFAULT) else meshgate_lua
        targets[label] = Target(label, gw.url, lua, gw.process)
    for gw in gateways.values():
        gw.process.pause()
    windows: list[dict[str, Any]] = []
    per_window = args.seconds + args.warmup + 3  # settling and counter reads, roughly
    total = args.repeats * len(args.connections) * len(order)
    say(
        f"{total} windows of {args.seconds:g} s (+{args.warmup:g} s warm-up), about "
        f"{total * per_window / 60:.1f} min"
    )
    for rep in range(args.repeats):
        for c in args.connections:
            # Rotated each repetition, so no gateway always follows the same one.
            shift = rep % len(order)
            for label in order[shift:] + order[:shift]:
                if time.monotonic() - started + per_window > args.max_minutes * 60:
                    say(f"stopping: --max-minutes {args.max_minutes:g} reached")
                    return windows, False
                target = targets[label]
                if target.process is not None:
                    target.process.resume()
                try:
                    w = window(target, c, args.seconds, args.warmup, products, client)
                finally:
                    if target.process is not None:
                        target.process.pause()
                w["repeat"] = rep
                windows.append(w)
                say(
                    f"[{len(windows)}/{total}] {label}, c={c}: {w['rps']:.0f} req/s, "
                    f"p50 {w['p50_ms']:.1f} ms, p99 {w['p99_ms']:.1f} ms, "
                    f"{w['upstream_per_request']:.2f} upstream/request"
                    + (f", {w['errors']} errors" if w["errors"] else "")
                )
    return windows, True


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = T0
    if not (ROOT / "demo" / "data").exists():
        raise SystemExit("demo/data is missing: run `make demo-data` first")
    install.install_peer()
    install.install_wrk()
    versions = install.versions()
    wanted = {KEYS[k] for k in (args.only or KEYS)}
    notes: list[str] = []
    RUN.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        say("starting the 9 demo product gateways")
        products = stack.enter_context(running_products(RUN))
        client = stack.enter_context(httpx.Client(timeout=30))
        gateways = start_gateways(stack, wanted, products, notes, args)
        order = [label for label in ORDER if label in wanted and (label in gateways or
                 label == DIRECT)]  # fmt: skip
        if args.before is not None:
            order.insert(0, before_label(args))
        check_answers(gateways, products, client)
        windows, complete = measure(args, order, gateways, products, client, started)
    reference = HIVE_ROUTER if HIVE_ROUTER in order else HIVE_DEFAULT
    rows = report.with_ratios(report.medians(windows, order), reference)
    print(f"\n{len(products)} products; windows of {args.seconds:g} s, c = "
          f"{', '.join(map(str, args.connections))}, {args.repeats} interleaved repetitions, "
          f"medians{'' if complete else ' (INCOMPLETE: time limit)'}\n")  # fmt: skip
    print(report.table(rows, reference))
    for note in notes:
        print(f"\nnote: {note}")
    if any(r["errors"] for r in rows):
        bad = ", ".join(f"{r['gateway']} c={r['c']}: {r['errors']}" for r in rows if r["errors"])
        print(
            f"\nWARNING: error answers (not 200, GraphQL errors, socket errors or timeouts), "
            f"these rows are not comparable: {bad}"
        )
    print("\n" + ", ".join(f"{k} {v}" for k, v in versions.items()))
    report.write_json(args.json, {
        "settings": {"seconds": args.seconds, "connections": args.connections,
                     "repeats": args.repeats, "warmup": args.warmup},
        "complete": complete, "reference": reference, "notes": notes, "versions": versions,
        "products": len(products), "medians": rows, "windows": windows,
    })  # fmt: skip
    print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
