"""The corpus covers what issue #3 asks for: enough statements, and truly federated ones."""

from __future__ import annotations

from gateway.federation.planner import plan
from tests.federation.demo_catalog import demo_catalog
from tests.federation.two_engines.corpus import STATEMENTS


def test_at_least_twenty_statements_are_expected_to_agree() -> None:
    assert len({s.id for s in STATEMENTS}) == len(STATEMENTS)
    assert len(STATEMENTS) >= 20


def test_some_statement_joins_three_products_held_in_different_stores() -> None:
    found = []
    for statement in STATEMENTS:
        planned = plan(statement.sql, demo_catalog(), "trino", max_rows=10)
        products = {use.table.product for use in planned.tables}
        stores = {use.table.locations["trino"].parts[0] for use in planned.tables}
        if len(products) >= 3 and stores == {"demo_pg", "demo_mariadb"}:
            found.append(statement.id)
    assert found, "no statement joins >= 3 products across PostgreSQL and MariaDB on Trino"


def test_every_statement_orders_its_rows() -> None:
    # The row order is compared too; without ORDER BY it would be the engines' whim.
    for statement in STATEMENTS:
        assert "ORDER BY" in statement.sql.rsplit(")", 1)[-1].upper(), statement.id
