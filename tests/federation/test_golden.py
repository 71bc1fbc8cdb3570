"""Golden rewrites: each fixture's input planned for each engine equals its expected SQL.

This only notices a change; what each expected statement must return is checked apart
from the planner in ``test_golden_answers.py``.
"""

from __future__ import annotations

import pytest

from gateway.federation import plan
from tests.federation.demo_catalog import demo_catalog
from tests.federation.golden import ENGINES, Case, cases

CASES = cases()


def test_there_are_golden_cases_for_both_engines() -> None:
    assert len(CASES) >= 15
    assert all(set(case.expected) == set(ENGINES) for case in CASES)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_rewrite(case: Case, engine: str) -> None:
    result = plan(case.input, demo_catalog(), engine, max_rows=case.max_rows)
    assert result.sql == case.expected[engine]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rewritten_sql_is_planned_again_to_the_same_engine_sql(case: Case) -> None:
    # The engine SQL names only physical tables: it is not a valid logical query.
    from gateway.errors import TableNotFound

    result = plan(case.input, demo_catalog(), "trino", max_rows=case.max_rows)
    if result.tables:
        with pytest.raises(TableNotFound):
            plan(result.sql, demo_catalog(), "trino", max_rows=case.max_rows)
