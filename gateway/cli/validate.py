"""``meshgate validate PATH...``: check contracts, product descriptors and results.

Each file (or every ``*.yaml`` / ``*.yml`` / ``*.json`` under a folder) is checked by its
``kind`` (a product by its ``apiVersion``: Bitol ODPS v0.9.0/v1.0.0 against Bitol's schema
of that version, or meshgate's early descriptor); every issue is printed on its own line
(warnings marked ``warning:``), then a summary; ``--verbose`` also names each document and
the standard it was checked against. Exit status: 0 when all documents are valid (warnings
alone do not fail a document: the standard does not forbid what they report), 1 when any
is invalid, 2 when a path does not exist.

A contract in a product folder (``DIR/contracts/x.yaml``) has its ``${VAR}`` placeholders
filled as the product kit fills them: from ``DIR/product.env`` overlaid by the environment.
A valid ``DIR/product.yaml`` beside a ``DIR/contracts/`` folder also gets the folder's
warning for each output port whose contract is not there (the kit serves such a port
without tables).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from contracts import DocumentInvalid, DocumentIssue
from contracts.detect import check_file
from contracts.folder import (
    CONTRACTS_DIR,
    DESCRIPTOR_FILE,
    ENV_FILE,
    MISSING_CONTRACT,
    load_product_folder,
    product_env,
)

_SUFFIXES = (".yaml", ".yml", ".json")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="validate ODCS contracts, product descriptors and observability results",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="a file or a folder")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also name each valid document and the standard and version it was checked against",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.paths]
    missing = [p for p in paths if not p.exists()]
    if missing:
        for path in missing:
            print(f"meshgate validate: {path}: no such file or folder", file=sys.stderr)
        return 2
    total = invalid = warned = 0
    for file in _documents(paths):
        total += 1
        env, issues = _env_for(file)
        verdict = check_file(file, env=env)
        issues += verdict.issues
        failed = any(issue.is_error for issue in issues)
        if file.name == DESCRIPTOR_FILE and (file.parent / CONTRACTS_DIR).is_dir() and not failed:
            issues += _folder_warnings(file.parent, env)
        if args.verbose:
            state = "invalid" if failed else "valid"
            print(f"{file}: {state} against {verdict.standard or 'no known standard'}")
        if failed:
            invalid += 1
        elif issues:
            warned += 1
        for issue in issues:
            print(issue)
    tail = f", {warned} with warnings" if warned else ""
    print(f"{total} documents, {invalid} invalid{tail}")
    return 1 if invalid else 0


def _env_for(file: Path) -> tuple[Mapping[str, str] | None, list[DocumentIssue]]:
    """The placeholder values for ``file``, and the issues of a broken ``product.env``."""
    folder = file.parent.parent if file.parent.name == CONTRACTS_DIR else file.parent
    if not (folder / ENV_FILE).is_file():
        return None, []
    try:
        return product_env(folder), []
    except DocumentInvalid as exc:
        return None, list(exc.issues)


def _folder_warnings(folder: Path, env: Mapping[str, str] | None) -> list[DocumentIssue]:
    """The output ports of ``folder`` served without their contract (folder-level only:
    each document's own issues are reported on its own file)."""
    try:
        loaded = load_product_folder(folder, env)
    except DocumentInvalid:
        return []
    return [w for w in loaded.warnings if w.code == MISSING_CONTRACT]


def _documents(paths: list[Path]) -> Iterator[Path]:
    """Files named on the command line, and the documents found under named folders."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in _SUFFIXES
            )
        else:
            yield path
