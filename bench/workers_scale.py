#!/usr/bin/env python3
"""req/s of ``meshgate serve --workers N`` as N grows: the peer benchmark's question
(bench/peer/question.py) under wrk, at 1 and 2 processes (issue 10).

    .venv/bin/python bench/workers_scale.py [--workers 1 2] [--seconds 10] [--connections 8 32]

Starts the 9 demo product gateways on 127.0.0.1 and one ``meshgate serve --workers N``
per N, all alike but for N: the registry in a PostgreSQL database of its own, the
document cache in Redis (a database number of its own) with TTL ``--ttl``, the Redis
events bus; so one process pays the same Redis round trips as several. Checks that
every gateway answers the same 9 products, then measures windows interleaved as
bench/peer_gateways.py does (the gateways not under load are paused, workers included)
and prints the medians with req/s against 1 process, the cores of the machine and its
load before and after. Needs the services (``scripts/services.sh up``) and ``demo/data``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the repo's packages and bench.peer

from bench.peer import install, question, report  # noqa: E402
from bench.peer.gateways import Gateway, start_meshgate  # noqa: E402
from bench.peer.load import add_window_options  # noqa: E402
from bench.peer.upstreams import running_products  # noqa: E402
from bench.peer_gateways import RUN, measure, say  # noqa: E402

POSTGRES = "postgresql://postgres@127.0.0.1:55432/postgres"
REDIS = "redis://127.0.0.1:56379"


def label(workers: int) -> str:
    return f"meshgate, {workers} worker{'s' if workers > 1 else ''}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2],
                        help="process counts (1 2); the first is the reference")  # fmt: skip
    parser.add_argument("--ttl", type=float, default=15.0, help="cache TTL, seconds (15)")
    add_window_options(parser, seconds=10.0, max_minutes=30.0)
    parser.add_argument("--postgres", default=POSTGRES, help=f"admin DSN ({POSTGRES})")
    parser.add_argument("--redis", default=REDIS, help=f"Redis, no database ({REDIS})")
    parser.add_argument("--json", type=Path, default=ROOT / ".run" / "workers-scale.json",
                        help="where the results go (.run/workers-scale.json)")  # fmt: skip
    return parser.parse_args(argv)


def database(stack: ExitStack, admin: str, workers: int) -> str:
    """A new PostgreSQL database for the gateway of ``workers`` processes, dropped after."""
    name = f"meshgate_bench_w{workers}_{secrets.token_hex(3)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    stack.callback(drop)
    return admin.rsplit("/", 1)[0] + "/" + name


def check_answers(gateways: dict[str, Gateway], products: int, client: httpx.Client) -> None:
    """Fail unless every gateway answers the same products. Health is left out: it is
    each gateway's last verdict, and on a loaded machine one gateway's check may have
    missed its deadline where the other's did not (bench/peer_gateways.py checks it
    against the products themselves)."""
    answers = []
    for name, gw in gateways.items():
        body = client.post(gw.url, json={"query": question.MESHGATE_QUERY}).json()
        rows = [{**r, "health": None} for r in question.meshgate_rows(body)]
        answers.append((name, rows))
    for name, rows in answers:
        question.same_data(answers[0][1], rows, name, products)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    if not (ROOT / "demo" / "data").exists():
        raise SystemExit("demo/data is missing: run `make demo-data` first")
    install.install_wrk()
    RUN.mkdir(parents=True, exist_ok=True)
    load_before = load_average()
    with ExitStack() as stack:
        say("starting the 9 demo product gateways")
        products = stack.enter_context(running_products(RUN))
        client = stack.enter_context(httpx.Client(timeout=30))
        gateways: dict[str, Gateway] = {}
        for n in args.workers:
            say(f"starting {label(n)}")
            env = {
                "MESHGATE_REGISTRY_URL": database(stack, args.postgres, n),
                "MESHGATE_CACHE_BACKEND": "redis", "MESHGATE_EVENTS_BUS": "redis",
                "MESHGATE_REDIS_URL": f"{args.redis}/{10 + n % 6}",
                "MESHGATE_EVENTS_REDIS_CHANNEL": f"meshgate:bench:{secrets.token_hex(4)}",
            }  # fmt: skip
            gw = start_meshgate(label(n), args.ttl, products, RUN, 300.0, workers=n, extra_env=env)
            stack.callback(gw.process.stop)
            gateways[gw.label] = gw
        check_answers(gateways, len(products), client)
        say(f"answers checked: every gateway has the same {len(products)} products")
        order = list(gateways)
        windows, complete = measure(args, order, gateways, products, client, started)
    rows = report.with_ratios(report.medians(windows, order), order[0])
    print(
        f"\n{len(products)} products; windows of {args.seconds:g} s, c = "
        f"{', '.join(map(str, args.connections))}, {args.repeats} interleaved repetitions, "
        f"medians{'' if complete else ' (INCOMPLETE: time limit)'}; {os.cpu_count()} cores; "
        f"load average {load_before} before, {load_average()} after\n"
    )
    print(report.table(rows, order[0]))
    report.write_json(args.json, {
        "settings": vars(args) | {"json": str(args.json)}, "complete": complete,
        "cores": os.cpu_count(), "load_before": load_before, "load_after": load_average(),
        "medians": rows, "windows": windows,
    })  # fmt: skip
    print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
