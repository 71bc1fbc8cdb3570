"""``--…-env NAME=VALUE …``: environment variables given to one gateway of a benchmark
(the baseline, or the checkout measured before), read into a dict with a clear error."""

from __future__ import annotations

import argparse


def assignment(text: str) -> tuple[str, str]:
    """``NAME=VALUE`` as ``(NAME, VALUE)``; argparse reports anything else by name.

    >>> assignment("MESHGATE_EVENT_LOOP=uvloop")
    ('MESHGATE_EVENT_LOOP', 'uvloop')
    >>> assignment("A=b=c")
    ('A', 'b=c')
    """
    name, sep, value = text.partition("=")
    if not sep or not name or name != name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def add_env_option(parser: argparse.ArgumentParser, flag: str, help: str) -> None:
    """``flag`` taking any number of ``NAME=VALUE``; its value a dict (empty by default)."""

    class ToDict(argparse.Action):
        def __call__(self, parser: object, namespace: argparse.Namespace, values: object,
                     option_string: str | None = None) -> None:  # fmt: skip
            setattr(namespace, self.dest, dict(values))  # type: ignore[call-overload]

    parser.add_argument(flag, nargs="*", type=assignment, default={}, action=ToDict,
                        metavar="NAME=VALUE", help=help)  # fmt: skip
