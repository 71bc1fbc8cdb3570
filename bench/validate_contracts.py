#!/usr/bin/env python3
"""ODCS validation time before and after the bounded validator (issue 8, item 2).

    .venv/bin/python bench/validate_contracts.py [--depth 6] [--skip-before-worst]

For every ODCS contract of tests/corpus (placeholders left unresolved) and for the worst
case of tests/contracts/worst_case.py (Bitol's v3.2.0 full example grown to ~90 KB of
object properties nested ``--depth`` levels), times the schema check:
- before: jsonschema alone (the validator the project used), every error collected;
- after: ``contracts._bounded.bounded_schema_issues`` (jsonschema-rs verdict, then the
  jsonschema detail pass under the budget only when the document is invalid or has
  placeholders).
Prints a markdown table (files, median, slowest file) and the compile time of each
validator (paid once per schema: both are cached). The worst case "before" takes minutes
at depth 6 (93 s measured): ``--skip-before-worst`` leaves it out.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from contracts import DocumentInvalid  # noqa: E402
from contracts._bounded import bounded_schema_issues, fast_validator_for  # noqa: E402
from contracts._placeholders import resolve_servers  # noqa: E402
from contracts._reader import read_document  # noqa: E402
from contracts._schemas import ODCS_SCHEMAS, load_schema, validator_for  # noqa: E402
from contracts._validator import make_validator  # noqa: E402
from tests.contracts.worst_case import worst_case_yaml  # noqa: E402

Case = tuple[str, str, dict[str, Any]]


def _corpus() -> list[Case]:
    cases = []
    for path in sorted((ROOT / "tests" / "corpus").rglob("*.yaml")):
        try:
            doc = read_document(path.read_bytes(), str(path))
        except DocumentInvalid:
            continue
        schema = ODCS_SCHEMAS.get(str(doc.get("apiVersion")))
        if doc.get("kind") == "DataContract" and schema:
            cases.append((str(path.relative_to(ROOT)), schema, resolve_servers(doc, {})))
    return cases


def _before(schema: str, doc: dict[str, Any]) -> object:
    return list(validator_for(schema).iter_errors(doc))


def _after(schema: str, doc: dict[str, Any]) -> object:
    return bounded_schema_issues(schema, doc, "bench")


def _time(fn: Callable[[str, dict[str, Any]], object], case: Case) -> float:
    start = time.perf_counter()
    fn(case[1], case[2])
    return time.perf_counter() - start


def _row(label: str, times: list[tuple[float, str]]) -> str:
    times.sort()
    median = statistics.median(t for t, _ in times)
    slow, name = times[-1]
    return f"| {label} | {len(times)} | {median * 1000:.1f} ms | {slow * 1000:.1f} ms | {name} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--depth", type=int, default=6, help="nesting of the worst case")
    parser.add_argument("--skip-before-worst", action="store_true")
    args = parser.parse_args()

    schema = ODCS_SCHEMAS["v3.2.0"]
    start = time.perf_counter()
    make_validator(load_schema(schema))
    py_compile = time.perf_counter() - start
    start = time.perf_counter()
    fast_validator_for(schema)
    rs_compile = time.perf_counter() - start
    for name in ODCS_SCHEMAS.values():  # both caches warm before timing
        validator_for(name)
        fast_validator_for(name)

    cases = _corpus()
    before = [(_time(_before, c), c[0]) for c in cases]
    after = [(_time(_after, c), c[0]) for c in cases]
    text = worst_case_yaml(depth=args.depth)
    worst: Case = (
        f"worst case ({len(text) // 1000} KB, depth {args.depth})",
        schema,
        read_document(text, "worst"),
    )
    print("| validator | files | median | slowest | slowest file |")
    print("|---|---|---|---|---|")
    print(_row("corpus, before (jsonschema)", before))
    print(_row("corpus, after (bounded)", after))
    if not args.skip_before_worst:
        print(_row("worst case, before", [(_time(_before, worst), worst[0])]))
    print(_row("worst case, after", [(_time(_after, worst), worst[0])]))
    print(
        f"\ncompile v3.2.0 schema once: jsonschema {py_compile * 1000:.1f} ms, "
        f"jsonschema-rs {rs_compile * 1000:.1f} ms (both cached per schema)"
    )


if __name__ == "__main__":
    main()
