"""Golden rewrite fixtures: ``fixtures/golden/<case>.sql`` with ``-- input``, ``-- duckdb``
and ``-- trino`` sections (and an optional ``-- max_rows: N`` line in the input section).

``python -m tests.federation.golden NAME...`` writes the engine sections of the named
cases from the planner's current output; read every change before committing it.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from gateway.federation import plan
from tests.federation.demo_catalog import FIXTURES, demo_catalog

GOLDEN = FIXTURES / "golden"
ENGINES = ("duckdb", "trino")
_SECTION = re.compile(r"^-- (input|duckdb|trino)\s*$", re.MULTILINE)
_MAX_ROWS = re.compile(r"^-- max_rows: (\d+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Case:
    name: str
    input: str
    max_rows: int
    expected: dict[str, str]


def read_case(path: Path) -> Case:
    text = path.read_text(encoding="utf-8")
    pieces = _SECTION.split(text)
    sections = {pieces[i]: pieces[i + 1].strip() for i in range(1, len(pieces) - 1, 2)}
    found = _MAX_ROWS.search(sections["input"])
    max_rows = int(found.group(1)) if found else 1000
    query = _MAX_ROWS.sub("", sections["input"]).strip()
    expected = {e: sections[e] for e in ENGINES if e in sections}
    return Case(path.stem, query, max_rows, expected)


def cases() -> list[Case]:
    return [read_case(p) for p in sorted(GOLDEN.glob("*.sql"))]


def write(name: str) -> None:
    path = GOLDEN / f"{name}.sql"
    case = read_case(path)
    head = f"-- input\n{case.input}\n"
    if case.max_rows != 1000:
        head = f"-- input\n-- max_rows: {case.max_rows}\n{case.input}\n"
    body = "".join(
        f"\n-- {e}\n{plan(case.input, demo_catalog(), e, max_rows=case.max_rows).sql}\n"
        for e in ENGINES
    )
    path.write_text(head + body, encoding="utf-8")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        write(arg)
