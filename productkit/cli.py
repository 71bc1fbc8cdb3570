"""``meshgate product serve DIR`` (or ``meshgate-product serve DIR``): serve one data
product from its folder.

The kit is its own application: ``meshgate-product`` is its command, and it adds the same
commands to ``meshgate`` as ``meshgate product`` through an entry point
(``meshgate.commands``), so the gateway's command line never imports the kit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``product`` and its commands to the ``meshgate`` command line."""
    parser = subparsers.add_parser("product", help="the product gateway kit (sidecar)")
    _add_commands(parser)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``meshgate-product`` console script."""
    parser = argparse.ArgumentParser(
        prog="meshgate-product", description="The product gateway kit: one data product."
    )
    _add_commands(parser)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def _add_commands(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="product_command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve a product folder (product.yaml, contracts/, product.env)",
        description="Serve one data product: discover, observe, certify, control, consume.",
    )
    serve.add_argument("dir", type=Path, help="the product folder")
    serve.add_argument("--host", default="127.0.0.1", help="listen address (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8101, help="listen port (8101)")
    serve.add_argument("--server", help="contract server to read (default: the first local server)")
    serve.add_argument(
        "--token",
        help="bearer token of the control interface (default: MESHGATE_PRODUCT_TOKEN, "
        "else a new one printed at start-up)",
    )
    serve.add_argument("--log-level", default="info", help="uvicorn log level (info)")
    serve.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the folder (exit 1 with every issue when it cannot be served), then serve it."""
    import uvicorn

    from contracts import DocumentInvalid
    from productkit.errors import ProductConfigError
    from productkit.http.app import create_product_app

    try:
        app = create_product_app(args.dir, server=args.server, token=args.token)
    except DocumentInvalid as exc:
        print(f"meshgate product serve: {args.dir} cannot be served:", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1
    except ProductConfigError as exc:
        print(f"meshgate product serve: {args.dir}: {exc.message}", file=sys.stderr)
        return 1
    product = app.state.product
    for warning in product.folder.warnings:  # served anyway: said once, at start
        print(f"meshgate product serve: {warning}", file=sys.stderr)
    if product.token_generated:
        # Printed once so the operator can control this product; never logged elsewhere.
        print(f"control token (MESHGATE_PRODUCT_TOKEN): {product.token}", file=sys.stderr)
    name = f"{product.descriptor.domain}/{product.descriptor.slug}"
    print(
        f"serving {name} from server {product.stores.server!r} on "
        f"http://{args.host}:{args.port}/discover/metadata",
        file=sys.stderr,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0
