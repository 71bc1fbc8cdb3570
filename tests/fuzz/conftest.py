"""Hypothesis profiles for the fuzz suites, and their figures at the end of the run.

``make test`` runs the ``ci`` profile: a bounded number of examples (200 SQL statements,
100 GraphQL documents), derandomized so that every run tries the same examples: a red
build is reproducible and a green one cannot turn red because the generator wandered
somewhere new. Exploring is the ``long`` profile's job (``make fuzz``): random seeds,
20,000 SQL statements, its failures kept in Hypothesis's example database and, once
understood, added to ``test_regressions.py`` so the bounded run tries them every time.

``HYPOTHESIS_PROFILE=long`` selects it; ``MESHGATE_FUZZ_EXAMPLES=N`` sets the SQL count
(GraphQL tries a tenth as many, at least 20) in either profile.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from tests.fuzz.figures import report

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / ".run" / "fuzz-report.json"

_COMMON = {
    "deadline": None,  # one example may wait for DuckDB; time is bounded by the counts
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                              HealthCheck.filter_too_much],
    "print_blob": True,
}  # fmt: skip
# No shrinking in the bounded run: a failure is reported as found (minimising one can take
# minutes); `make fuzz` shrinks, and minimal reproducers go to test_regressions.py.
settings.register_profile("ci", derandomize=True, database=None,
                          phases=[Phase.explicit, Phase.generate], **_COMMON)  # fmt: skip
settings.register_profile(
    "long",
    derandomize=False,
    database=DirectoryBasedExampleDatabase(ROOT / ".run" / "hypothesis"),
    **_COMMON,
)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE not in ("ci", "long"):
    PROFILE = "ci"
_DEFAULT_SQL = {"ci": 200, "long": 20_000}[PROFILE]
SQL_EXAMPLES = int(os.environ.get("MESHGATE_FUZZ_EXAMPLES") or _DEFAULT_SQL)
GRAPHQL_EXAMPLES = max(20, SQL_EXAMPLES // 10) if "MESHGATE_FUZZ_EXAMPLES" in os.environ else (
    {"ci": 100, "long": 2_000}[PROFILE]
)  # fmt: skip


def sql_settings() -> settings:
    """The settings of one SQL property (planner or engine)."""
    return settings(settings.get_profile(PROFILE), max_examples=SQL_EXAMPLES)


def graphql_settings(share: float = 1.0) -> settings:
    """The settings of one GraphQL property, trying ``share`` of the GraphQL count."""
    count = max(10, int(GRAPHQL_EXAMPLES * share))
    return settings(settings.get_profile(PROFILE), max_examples=count)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    examples = {"sql": SQL_EXAMPLES, "graphql": GRAPHQL_EXAMPLES}
    lines = report(REPORT, PROFILE, examples)
    if not lines:  # no fuzz test ran in this session
        return
    terminalreporter.section("fuzz figures")
    for line in lines:
        terminalreporter.write_line(line)
