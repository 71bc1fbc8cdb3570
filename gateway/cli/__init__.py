"""The ``meshgate`` console script.

Each sub-command lives in its own module exposing ``register(subparsers)``, which adds
its parser and sets ``func`` (called with the parsed namespace, returns an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

# Modules of this package that each add one sub-command.
COMMANDS = ("serve", "validate", "apikey")

# Other applications add theirs through this entry-point group (the product kit adds
# ``meshgate product``), so the gateway never imports them.
PLUGIN_GROUP = "meshgate.commands"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meshgate", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    for plugin in sorted(entry_points(group=PLUGIN_GROUP), key=lambda p: p.name):
        plugin.load()(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
