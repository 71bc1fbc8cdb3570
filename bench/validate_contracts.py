#!/usr/bin/env python3
"""ODCS validation time before and after the bounded validator (issue 8, item 2).

    .venv/bin/python bench/validate_contracts.py [--depth 6] [--skip-before-worst]
                                                 [--skip-before-corpus]

For every ODCS contract of tests/corpus (placeholders left unresolved) and for the worst
case of tests/contracts/worst_case.py (Bitol's v3.2.0 full example grown to ~90 KB of
object properties nested ``--depth`` levels), times the schema check:
- before: jsonschema alone (the validator the project used), every error collected;
- after: ``contracts._bounded.bounded_schema_issues`` (jsonschema-rs verdict, then the
  jsonschema detail pass under the budget only when the document is invalid or has
  placeholders).
Prints a markdown table (files, median, slowest file) and the compile time of each
validator (paid once per schema: both are cached). The worst case "before" takes minutes
at depth 6 (93 s measured): ``--skip-before-worst`` leaves it out; so does the corpus
"before" row, which holds datacontract-cli's nested 88 KB fixture (about 70 s with
jsonschema): ``--skip-before-corpus`` leaves it out.

Then ``meshgate validate``'s own check (``contracts.detect.check_file``, every kind) on
every document of the corpus, against the verdicts recorded in tests/corpus-verdicts.yaml
(each file's own-version schema, plain jsonschema): files per source, valid/invalid,
agreement, the recorded exceptions, and the slowest file.
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
from contracts.detect import check_file  # noqa: E402
from tests.contracts.corpus_judge import documents, manifest, name_of  # noqa: E402
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


def _verdicts() -> None:
    """meshgate's verdict on every corpus document against the recorded one, with counts."""
    recorded = manifest()
    files, listed = recorded["files"], {**recorded["exceptions"], **recorded["unsupported"]}
    by_source: dict[str, list[int]] = {}  # source -> [files, valid, invalid, agree]
    times: list[tuple[float, str]] = []
    disagree = []
    warned = 0
    for path in documents():
        name = name_of(path)
        start = time.perf_counter()
        verdict = check_file(path, env={})
        times.append((time.perf_counter() - start, name))
        state = "invalid" if any(i.is_error for i in verdict.issues) else "valid"
        warned += state == "valid" and bool(verdict.issues)
        expected = "invalid" if name in listed else files[name]["verdict"]
        row = by_source.setdefault(name.split("/")[0], [0, 0, 0, 0])
        row[0] += 1
        row[1 if state == "valid" else 2] += 1
        row[3] += state == expected
        if state != expected:
            disagree.append(name)
    print("\n| source | files | valid | invalid | agree with recorded verdict |")
    print("|---|---|---|---|---|")
    for source, (n, valid, invalid, agree) in sorted(by_source.items()):
        print(f"| {source} | {n} | {valid} | {invalid} | {agree}/{n} |")
    total = [sum(r[i] for r in by_source.values()) for i in range(4)]
    print(f"| **all** | {total[0]} | {total[1]} | {total[2]} | {total[3]}/{total[0]} |")
    schema_valid = sum(f["verdict"] == "valid" for f in files.values())
    print(
        f"\nown-version schema: {schema_valid} valid, {len(files) - schema_valid} invalid; "
        f"meshgate differs on {len(listed)} by record ({len(recorded['exceptions'])} "
        f"exceptions, {len(recorded['unsupported'])} ODCS v2 unsupported); "
        f"{warned} valid with warnings; unexpected disagreements: {len(disagree)}"
        + (f" {disagree}" if disagree else "")
    )
    times.sort()
    print(
        f"meshgate validate, slowest file: {times[-1][1]} {times[-1][0] * 1000:.1f} ms "
        f"(median {statistics.median(t for t, _ in times) * 1000:.1f} ms, "
        f"total {sum(t for t, _ in times):.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--depth", type=int, default=6, help="nesting of the worst case")
    parser.add_argument("--skip-before-worst", action="store_true")
    parser.add_argument("--skip-before-corpus", action="store_true")
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
    before = [] if args.skip_before_corpus else [(_time(_before, c), c[0]) for c in cases]
    after = [(_time(_after, c), c[0]) for c in cases]
    text = worst_case_yaml(depth=args.depth)
    worst: Case = (
        f"worst case ({len(text) // 1000} KB, depth {args.depth})",
        schema,
        read_document(text, "worst"),
    )
    print("| validator | files | median | slowest | slowest file |")
    print("|---|---|---|---|---|")
    if before:
        print(_row("corpus, before (jsonschema)", before))
    print(_row("corpus, after (bounded)", after))
    if not args.skip_before_worst:
        print(_row("worst case, before", [(_time(_before, worst), worst[0])]))
    print(_row("worst case, after", [(_time(_after, worst), worst[0])]))
    print(
        f"\ncompile v3.2.0 schema once: jsonschema {py_compile * 1000:.1f} ms, "
        f"jsonschema-rs {rs_compile * 1000:.1f} ms (both cached per schema)"
    )
    _verdicts()


if __name__ == "__main__":
    main()
