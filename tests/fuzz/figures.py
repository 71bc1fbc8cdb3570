"""The fuzz run's figures: examples tried, refused (by code), accepted, reached an engine,
violations; printed at the end of the session and written to ``.run/fuzz-report.json``.

Counters, not assertions: the properties assert; these say how much the run covered
(a fuzz that refuses every example proves little about what reaches an engine).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Figures:
    """What one suite saw."""

    tried: int = 0
    accepted: int = 0
    reached_engine: int = 0
    violations: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)

    def refuse(self, code: str) -> None:
        self.refused[code] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "tried": self.tried,
            "refused": dict(sorted(self.refused.items())),
            "refused_total": sum(self.refused.values()),
            "accepted": self.accepted,
            "reached_engine": self.reached_engine,
            "violations": self.violations,
            **({"http_statuses": dict(sorted(self.statuses.items()))} if self.statuses else {}),
        }


# One per suite, filled by the tests, read by the terminal summary in conftest.py.
FIGURES: dict[str, Figures] = {
    "sql-planner": Figures(),
    "sql-engine": Figures(),
    "graphql-5xx": Figures(),
    "graphql-json": Figures(),
    "graphql-codes": Figures(),
    "sql-stream": Figures(),
}


def report(path: Path, profile: str, examples: dict[str, int]) -> list[str]:
    """Write the figures as JSON to ``path``; return them as lines for the terminal."""
    used = {name: f.as_dict() for name, f in FIGURES.items() if f.tried}
    if not used:
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    findings = {s: {k: {"example": e, "problems": p} for k, (e, p) in kept.items()}
                for s, kept in FINDINGS.items()}  # fmt: skip
    path.write_text(json.dumps({"profile": profile, "max_examples": examples, "suites": used,
                                "findings": findings}, indent=2) + "\n")  # fmt: skip
    lines = [f"profile {profile}, max examples {examples}"]
    for name, figures in used.items():
        refused = ", ".join(f"{code} {n}" for code, n in figures["refused"].items()) or "none"
        lines.append(
            f"{name}: tried {figures['tried']}, refused {figures['refused_total']} ({refused}), "
            f"accepted {figures['accepted']}, reached an engine {figures['reached_engine']}, "
            f"violations {figures['violations']}"
        )
        if "http_statuses" in figures:
            lines.append(f"{name}: HTTP statuses {figures['http_statuses']}")
    for suite, kept in FINDINGS.items():
        for key, (example, problems) in kept.items():
            lines.append(f"FINDING {suite}: {key}\n    {example[:1500]!r}\n    {problems}")
    lines.append(f"report: {path}")
    return lines


# ``make fuzz`` collects instead of stopping at the first failure: a long run then reports
# every distinct kind of failure it met (the shortest example of each), and the test
# still fails at its end. The bounded run stops at the first one, as a test does.
COLLECT = os.environ.get("MESHGATE_FUZZ_COLLECT", "") not in ("", "0")
FINDINGS: dict[str, dict[str, tuple[str, list[str]]]] = {}


def signature(problem: str) -> str:
    """A problem with its example-specific names blanked, to tell kinds of failure apart."""
    problem = re.sub(r"^(column|table) \S+", r"\1 *", problem)
    problem = re.sub(r"(by|over) \S+", r"\1 *", problem)
    return re.sub(r"'[^']*'|\"[^\"]*\"", "*", problem)[:160]


def fail_or_collect(suite: str, example: str, problems: list[str]) -> None:
    """Fail now with ``problems`` of ``example``; or, collecting, keep the shortest
    example of each kind of problem and go on."""
    if not problems:
        return
    if not COLLECT:
        raise AssertionError(f"{example!r}: {problems}")
    kept = FINDINGS.setdefault(suite, {})
    for problem in problems:
        key = signature(problem)
        if key not in kept or len(example) < len(kept[key][0]):
            kept[key] = (example, problems)


def assert_no_findings(suite: str) -> None:
    """At the end of a collecting run: fail with every kind of problem met."""
    kept = FINDINGS.get(suite, {})
    assert not kept, "\n".join(f"{k}\n    {ex!r}\n    {p}" for k, (ex, p) in kept.items())
