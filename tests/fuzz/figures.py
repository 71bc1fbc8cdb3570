"""The fuzz run's figures: examples tried, refused (by code), accepted, reached an engine,
violations; printed at the end of the session and written to ``.run/fuzz-report.json``.

Counters, not assertions: the properties assert; these say how much the run covered
(a fuzz that refuses every example proves little about what reaches an engine).
"""

from __future__ import annotations

import json
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
}


def report(path: Path, profile: str, examples: dict[str, int]) -> list[str]:
    """Write the figures as JSON to ``path``; return them as lines for the terminal."""
    used = {name: f.as_dict() for name, f in FIGURES.items() if f.tried}
    if not used:
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"profile": profile, "max_examples": examples, "suites": used},
                               indent=2) + "\n")  # fmt: skip
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
    lines.append(f"report: {path}")
    return lines
