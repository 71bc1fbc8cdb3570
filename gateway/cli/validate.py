"""`meshgate validate` (placeholder until its module lands)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("validate", help="not available yet")
    parser.set_defaults(func=lambda args: 2)
