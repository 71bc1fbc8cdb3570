"""Mangled statements: the planner answers with a plan or a GatewayError, never a crash."""

from __future__ import annotations

import random

import pytest

from gateway.errors import GatewayError
from gateway.federation import plan
from gateway.federation.planner.dialect import READ_DIALECT
from tests.federation.demo_catalog import demo_catalog
from tests.federation.golden import cases

_INSERTS = ["(", ")", ",", ";", "SELECT", "FROM", "*", "'x'", '"y"', "--", "/*", "NULL", "."]


def mangled(seed: int) -> str:
    """A golden input with a few tokens dropped, repeated or inserted (seeded)."""
    rng = random.Random(seed)
    source = rng.choice(cases()).input
    texts = [t.text if t.token_type.name not in ("STRING", "IDENTIFIER") else
             (f"'{t.text}'" if t.token_type.name == "STRING" else f'"{t.text}"')
             for t in READ_DIALECT.tokenize(source)]  # fmt: skip
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(texts))
        action = rng.choice(["drop", "repeat", "insert"])
        if action == "drop" and len(texts) > 1:
            del texts[at]
        elif action == "repeat":
            texts.insert(at, texts[at])
        else:
            texts.insert(at, rng.choice(_INSERTS))
    return " ".join(texts)


@pytest.mark.parametrize("seed", range(300))
def test_mangled_statements_never_crash(seed: int) -> None:
    sql = mangled(seed)
    try:
        result = plan(sql, demo_catalog(), "duckdb", max_rows=10)
    except GatewayError:
        return
    assert result.sql


def test_the_mangling_yields_both_plans_and_refusals() -> None:
    outcomes = set()
    for seed in range(300):
        try:
            plan(mangled(seed), demo_catalog(), "trino", max_rows=10)
            outcomes.add("plan")
        except GatewayError as exc:
            outcomes.add(exc.code)
    assert {"plan", "SQL_INVALID", "TABLE_NOT_FOUND"} <= outcomes
