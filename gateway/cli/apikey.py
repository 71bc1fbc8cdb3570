"""``meshgate apikey new NAME --roles a,b``: a fresh API key for a service account.

The key is printed once, on standard output; standard error shows the entry to add to
the keys file (``MESHGATE_API_KEYS_FILE``), which holds only the key's SHA-256.
"""

from __future__ import annotations

import argparse
import sys

from gateway.identity.apikeys import entry_yaml, new_key


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("apikey", help="make an API key for a service account")
    actions = parser.add_subparsers(dest="action", required=True)
    new = actions.add_parser("new", help="print a new key and its keys-file entry")
    new.add_argument("name", help="the service account (the key's subject)")
    new.add_argument("--roles", default="", help="comma-separated roles, e.g. analyst")
    new.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    roles = [r for r in args.roles.split(",") if r.strip()]
    key, stored = new_key(args.name, roles)
    print(key)
    print(
        "# add to the keys file (MESHGATE_API_KEYS_FILE), under 'keys:'\n"
        + "".join(f"  {line}\n" for line in entry_yaml(stored).splitlines()),
        file=sys.stderr,
    )
    return 0
