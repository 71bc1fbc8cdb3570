"""The demo's people (demo/users.py) show what the security model promises: the analyst
reads every product with its sensitive columns masked; a domain's owner reads them in
clear; a reader of one domain reads nothing else."""

from __future__ import annotations

import pytest

from demo.users import USERS
from gateway.errors import Forbidden
from gateway.federation.planner import plan
from gateway.identity import Principal
from tests.federation.demo_catalog import demo_catalog


def who(user: str) -> Principal:
    return Principal(user, roles=frozenset(USERS[user]))


def test_the_analyst_reads_every_table_and_sees_sensitive_columns_masked() -> None:
    catalog = demo_catalog()
    masked: set[str] = set()
    for table in catalog.tables():
        name = f'"{table.domain}"."{table.product}"."{table.table}@{table.contract_version}"'
        checked = plan(f"SELECT * FROM {name}", catalog, "duckdb", max_rows=1,
                       principal=who("analyst"))  # fmt: skip
        masked.update(checked.masked)
    # The physical-risk contract classifies these restricted or confidential.
    assets = "physical-risk.physical-risk.assets"
    assert {f"{assets}.asset_id", f"{assets}.latitude", f"{assets}.h3_cell"} <= masked


def test_the_owner_of_the_domain_reads_the_same_columns_in_clear() -> None:
    sql = 'SELECT asset_id, latitude FROM "physical-risk"."physical-risk".assets'
    catalog = demo_catalog()
    assert plan(sql, catalog, "duckdb", max_rows=1, principal=who("analyst")).masked
    owner = plan(sql, catalog, "duckdb", max_rows=1, principal=who("physical-risk-owner"))
    assert owner.masked == ()


def test_a_reader_of_one_domain_reads_nothing_else() -> None:
    sql = 'SELECT asset_id FROM "physical-risk"."physical-risk".assets'
    with pytest.raises(Forbidden):
        plan(sql, demo_catalog(), "duckdb", max_rows=1, principal=who("rain-reader"))
