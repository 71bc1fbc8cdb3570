"""``meshgate serve``: run the GraphQL gateway under uvicorn, in one or more processes."""

from __future__ import annotations

import argparse
import math
import os
import sys

from gateway.settings import InvalidSetting, Settings
from gateway.workers import check_workers


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run the GraphQL gateway")
    parser.add_argument("--host", help="listen address (MESHGATE_HOST)")
    parser.add_argument("--port", type=int, help="listen port (MESHGATE_PORT)")
    parser.add_argument(
        "--workers",
        type=int,
        help="gateway processes sharing the Redis cache and the PostgreSQL registry "
        "(MESHGATE_WORKERS)",
    )
    parser.set_defaults(func=run)


EVENT_LOOPS = ("asyncio", "uvloop")
"""The event loops ``MESHGATE_EVENT_LOOP`` may name (uvicorn's own names)."""


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.cli import nodelay

    given = (("host", args.host), ("port", args.port), ("workers", args.workers))
    overrides = {k: v for k, v in given if v is not None}
    try:
        settings = Settings.from_env(**overrides)
        check_workers(settings)
        if settings.event_loop not in EVENT_LOOPS:
            raise InvalidSetting(
                f"MESHGATE_EVENT_LOOP={settings.event_loop!r}: expected one of "
                + ", ".join(EVENT_LOOPS)
            )
    except (InvalidSetting, ValueError) as exc:
        print(f"meshgate serve: {exc}", file=sys.stderr)
        return 2
    # Each worker is a fresh interpreter reading its settings from the environment: it
    # must know it is one of several (its background rounds are elected, docs/operator.md).
    os.environ["MESHGATE_WORKERS"] = str(settings.workers)
    # The composition root lives in `schema.asgi` (it joins the HTTP edge with the graph);
    # naming it by string keeps the import arrow from gateway to schema out of the code.
    uvicorn.run(
        "schema.asgi:create_served_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        timeout_worker_healthcheck=math.ceil(settings.worker_healthcheck_seconds),
        timeout_graceful_shutdown=math.ceil(settings.shutdown_seconds),
        log_level=settings.log_level,
        # A WebSocket message is read whole before the app sees it: no larger than a body.
        ws_max_size=settings.max_body_bytes,
        # The event loop asked for and the C HTTP parser (pinned dependencies), named so
        # that a missing one fails the start instead of falling back unnoticed; the
        # parser's protocol with Nagle off on every connection (gateway/cli/nodelay.py).
        loop=settings.event_loop,
        http=nodelay.PROTOCOL,
    )
    return 0
