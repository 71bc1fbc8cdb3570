"""``meshgate serve``: run the GraphQL gateway under uvicorn."""

from __future__ import annotations

import argparse

from gateway.settings import Settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("serve", help="run the GraphQL gateway")
    parser.add_argument("--host", help="listen address (MESHGATE_HOST)")
    parser.add_argument("--port", type=int, help="listen port (MESHGATE_PORT)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = Settings.from_env(**overrides)
    # The composition root lives in `schema.asgi` (it joins the HTTP edge with the graph);
    # naming it by string keeps the import arrow from gateway to schema out of the code.
    uvicorn.run(
        "schema.asgi:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        # A WebSocket message is read whole before the app sees it: no larger than a body.
        ws_max_size=settings.max_body_bytes,
        # The C event loop and HTTP parser (pinned dependencies), named so that a missing
        # one fails the start instead of falling back to the pure-Python ones unnoticed.
        loop="uvloop",
        http="httptools",
    )
    return 0
