"""Access from contracts in the planner: roles, masks and row filters as rewrites of the tree.

The contract below is written for these tests; the expected SQL is written by hand (golden
pairs), and every refusal is asserted by its stable code and what it names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.errors import Forbidden
from gateway.federation.catalog import StaticCatalog, build_catalog
from gateway.federation.planner import plan
from gateway.federation.planner.access import is_sensitive
from gateway.federation.reach import Reach
from gateway.identity import ANONYMOUS, Principal

PRODUCT_ID = "p-vault"
GOLDEN = Path(__file__).with_name("fixtures") / "access"


def prop(name: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "logicalType": kind, **extra}


def masking(method: str) -> dict[str, Any]:
    return {"customProperties": [{"property": "masking", "value": method}]}


def contract(roles: list[dict[str, Any]] | None, **overrides: Any) -> dict[str, Any]:
    """A contract of product ``bank.vault`` with one table, ``accounts``."""
    raw: dict[str, Any] = {
        "id": "c-vault",
        "version": "1.0.0",
        "servers": [{"type": "local", "path": "data/{table}.parquet", "format": "parquet"}],
        "schema": [
            {
                "name": "accounts",
                "properties": [
                    prop("account_id", classification="confidential"),
                    prop("region", classification="public"),
                    prop(
                        "balance",
                        "number",
                        physicalType="double",
                        classification="Restricted",
                        **masking("null"),
                    ),  # fmt: skip
                    prop("holder_email", classification="internal", **masking("redact")),
                    prop("opened_on", "date", classification="internal"),
                ],
            },
            {"name": "branches", "properties": [prop("region"), prop("city")]},
        ],
    }
    if roles is not None:
        raw["roles"] = roles
    raw.update(overrides)
    return raw


def role(name: str, access: str = "read", **custom: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"role": name, "access": access}
    if custom:
        found["customProperties"] = [{"property": k, "value": v} for k, v in custom.items()]
    return found


ROLES = [
    role("Analyst"),
    role("auditor", unmasked=True),
    role("north_desk", rowFilter={"accounts": "region = 'north'", "branches": "TRUE"}),
    role("south_desk", rowFilter="region IN ('south', 'south-east')"),
    role("loader", access="write"),
]


def catalog(roles: list[dict[str, Any]] | None = ROLES) -> StaticCatalog:
    return build_catalog([(PRODUCT_ID, "bank", "vault", contract(roles))])


def who(*roles: str, subject: str = "someone") -> Principal:
    return Principal(subject, roles=frozenset(roles))


SELECT = "SELECT account_id, region, balance FROM bank.vault.accounts"

# --- golden rewrites (expected SQL written by hand in fixtures/access) --------------------

ANALYST_DUCKDB = (GOLDEN / "analyst.duckdb.sql").read_text(encoding="utf-8").strip()

NORTH_SOUTH_TRINO = (GOLDEN / "north_or_south.trino.sql").read_text(encoding="utf-8").strip()


def trino_catalog() -> StaticCatalog:
    servers = [{"type": "trino", "catalog": "lake", "schema": "bank"}]
    lake = Reach.of(trino_catalogs=["lake"])  # the operator allows this test's catalog
    return build_catalog(
        [(PRODUCT_ID, "bank", "vault", contract(ROLES, servers=servers))], reach=lake
    )


def test_an_analyst_reads_sensitive_columns_masked_golden_duckdb() -> None:
    checked = plan(SELECT, catalog(), "duckdb", max_rows=10, principal=who("analyst"))
    assert checked.sql == ANALYST_DUCKDB
    assert checked.masked == ("bank.vault.accounts.account_id", "bank.vault.accounts.balance")
    assert checked.row_filters == ()
    assert checked.user == "someone"


def test_two_filtered_roles_see_the_or_of_their_filters_golden_trino() -> None:
    caller = who("north_desk", "south_desk")
    checked = plan(SELECT, trino_catalog(), "trino", max_rows=10, principal=caller)
    assert checked.sql == NORTH_SOUTH_TRINO
    assert checked.row_filters == (
        "bank.vault.accounts (north_desk): region = 'north'",
        "bank.vault.accounts (south_desk): region IN ('south', 'south-east')",
    )


@pytest.mark.parametrize(
    "caller",
    [
        who("owner:bank"),
        who("OWNER:Bank"),
        who("admin"),
        who("auditor"),  # a privileged role without a filter
        Principal("any", roles=frozenset({"auditor", "north_desk"})),
    ],
    ids=["owner", "owner-any-case", "admin", "unmasked-role", "unmasked-and-filtered"],
)
def test_owners_admins_and_privileged_roles_read_in_clear(caller: Principal) -> None:
    trusted = plan(SELECT, catalog(), "duckdb", max_rows=10)
    checked = plan(SELECT, catalog(), "duckdb", max_rows=10, principal=caller)
    assert checked.sql == trusted.sql
    assert checked.masked == () and checked.row_filters == ()


def test_without_a_principal_nothing_is_rewritten() -> None:
    checked = plan(SELECT, catalog(), "duckdb", max_rows=10)
    assert "SHA256" not in checked.sql and checked.user is None
    assert checked.sql.endswith('FROM "mesh"."bank__vault__accounts" AS "accounts"\nLIMIT 11')


def test_a_filtered_privileged_role_still_sees_masks_beside_an_unfiltered_plain_role() -> None:
    # auditor-like role limited to the north + a plain role seeing every row: the south
    # rows would come in clear if the privilege applied to all, so the columns stay masked.
    roles = [role("plain"), role("north_auditor", unmasked=True, rowFilter="region = 'north'")]
    caller = who("plain", "north_auditor")
    checked = plan(SELECT, catalog(roles), "duckdb", max_rows=10, principal=caller)
    assert checked.masked and checked.row_filters == ()


def test_a_role_granting_every_row_wins_over_a_filtered_one() -> None:
    checked = plan(SELECT, catalog(), "duckdb", max_rows=10, principal=who("analyst", "north_desk"))
    assert checked.row_filters == () and "WHERE" not in checked.sql


def test_a_per_table_filter_leaves_unnamed_tables_closed_and_true_opens_one() -> None:
    sql = "SELECT city FROM bank.vault.branches"
    checked = plan(sql, catalog(), "duckdb", max_rows=10, principal=who("north_desk"))
    assert "(TRUE)" in checked.sql.replace("\n", "").replace(" ", "")
    roles = [role("north_desk", rowFilter={"accounts": "region = 'north'"})]
    with pytest.raises(Forbidden) as refused:
        plan(sql, catalog(roles), "duckdb", max_rows=10, principal=who("north_desk"))
    assert "does not name the table branches" in refused.value.message


def test_sensitive_by_classification_name_and_tag() -> None:
    table = catalog().get("bank.vault.accounts")
    assert table is not None
    masked = [c.name for c in table.columns if is_sensitive(c)]
    # confidential, restricted (any case), and holder_email by its name.
    assert masked == ["account_id", "balance", "holder_email"]


# --- refusals -----------------------------------------------------------------------------


def test_a_caller_without_a_granting_role_is_forbidden_naming_product_and_roles() -> None:
    with pytest.raises(Forbidden) as refused:
        plan(SELECT, catalog(), "duckdb", max_rows=10, principal=who("loader", "guest"))
    error = refused.value
    assert error.code == "FORBIDDEN"
    assert error.extensions["productId"] == PRODUCT_ID
    assert error.extensions["product"] == "bank.vault"
    assert error.extensions["table"] == "bank.vault.accounts"
    # "loader" only writes: it is not among the roles that would grant reading.
    roles = ["analyst", "auditor", "north_desk", "south_desk", "owner:bank"]
    assert error.extensions["roles"] == roles
    assert "bank.vault" in error.message and "analyst" in error.message


def test_a_contract_without_roles_grants_nobody_but_owners_and_admins() -> None:
    with pytest.raises(Forbidden) as refused:
        plan(SELECT, catalog(None), "duckdb", max_rows=10, principal=who("analyst"))
    assert refused.value.extensions["roles"] == ["owner:bank"]
    assert "grants no role read access" in refused.value.message
    assert plan(SELECT, catalog(None), "duckdb", max_rows=10, principal=who("owner:bank")).sql


def test_anonymous_callers_never_read_data() -> None:
    with pytest.raises(Forbidden) as refused:
        plan(SELECT, catalog(), "duckdb", max_rows=10, principal=ANONYMOUS)
    assert "anonymous" in refused.value.message
    # A statement over no table needs no grant.
    assert plan("SELECT 1 AS one", catalog(), "duckdb", max_rows=10, principal=ANONYMOUS).sql


def test_every_table_of_a_join_is_checked() -> None:
    other = contract([role("flood_reader")], id="c-other")
    other["schema"] = [{"name": "zones", "properties": [prop("region")]}]
    mesh = build_catalog(
        [(PRODUCT_ID, "bank", "vault", contract(ROLES)), ("p-other", "flood", "zones", other)]
    )
    sql = (
        "SELECT a.region FROM bank.vault.accounts a JOIN flood.zones.zones z ON z.region = a.region"
    )
    with pytest.raises(Forbidden) as refused:
        plan(sql, mesh, "duckdb", max_rows=10, principal=who("analyst"))
    assert refused.value.extensions["product"] == "flood.zones"
    assert refused.value.extensions["roles"] == ["flood_reader", "owner:flood"]


HOSTILE_FILTERS = {
    "second-statement": "region = 'north'; DROP TABLE accounts",
    "subquery": "region IN (SELECT region FROM bank.vault.branches)",
    "scalar-subquery": "region = (SELECT max(node_id) FROM system.runtime.nodes)",
    "exists": "EXISTS (SELECT 1)",
    "undeclared-column": "secret_flag = 1",
    "qualified-column": "other.region = 'north'",
    "file-function": "pg_read_file('/etc/passwd') IS NOT NULL",
    "duckdb-file-function": "length(read_text('/etc/passwd')) > 0",
    "env-function": "getenv('HOME') IS NOT NULL",
    "aggregate": "count(*) > 0",
    "window": "row_number() OVER () = 1",
    "placeholder": "region = ?",
    "not-a-string": ["region = 'north'"],
    "empty": "  ",
    "does-not-parse": "region = = 'north'",
    "unknown-table-in-map": {"accounts": "TRUE", "acounts_typo": "TRUE"},
}


@pytest.mark.parametrize("condition", HOSTILE_FILTERS.values(), ids=HOSTILE_FILTERS.keys())
def test_a_hostile_row_filter_makes_the_table_unreadable_for_that_role(condition: Any) -> None:
    roles = [role("desk", rowFilter=condition), role("analyst")]
    with pytest.raises(Forbidden) as refused:
        plan(SELECT, catalog(roles), "duckdb", max_rows=10, principal=who("desk"))
    assert refused.value.extensions["reason"].startswith("role desk: ")
    assert "desk" not in refused.value.extensions["roles"]
    # Another granting role of the same caller still works, without the bad filter.
    checked = plan(SELECT, catalog(roles), "duckdb", max_rows=10, principal=who("desk", "analyst"))
    assert "WHERE" not in checked.sql


def test_a_filter_that_is_always_true_is_only_a_filter() -> None:
    roles = [role("desk", rowFilter="region = 'north' OR 1 = 1")]
    checked = plan(SELECT, catalog(roles), "duckdb", max_rows=10, principal=who("desk"))
    assert checked.row_filters == ("bank.vault.accounts (desk): region = 'north' OR 1 = 1",)
    inner = checked.sql.split("WHERE", 1)[1]
    assert "'north'" in inner and "DROP" not in checked.sql


# --- no way around the masks through SQL -----------------------------------------------------

UNMASK_ATTEMPTS = {
    "cte": "WITH c AS (SELECT account_id AS x FROM bank.vault.accounts) SELECT x FROM c",
    "union": "SELECT account_id FROM bank.vault.accounts UNION SELECT region FROM "
    "bank.vault.accounts",
    "window": "SELECT max(account_id) OVER (PARTITION BY region) AS m FROM bank.vault.accounts",
    "group-by": "SELECT account_id, count(*) AS n FROM bank.vault.accounts GROUP BY account_id",
    "self-join": "SELECT a.account_id FROM bank.vault.accounts a JOIN bank.vault.accounts b "
    "ON a.account_id = b.account_id",
    "star": "SELECT * FROM bank.vault.accounts",
    "subquery-filter": "SELECT region FROM bank.vault.accounts WHERE account_id IN "
    "(SELECT account_id FROM bank.vault.accounts)",
    "cast": "SELECT CAST(balance AS DOUBLE) AS b FROM bank.vault.accounts",
}


@pytest.mark.parametrize("sql", UNMASK_ATTEMPTS.values(), ids=UNMASK_ATTEMPTS.keys())
def test_every_read_of_the_table_goes_through_the_masks(sql: str) -> None:
    checked = plan(sql, catalog(), "duckdb", max_rows=10, principal=who("analyst"))
    physical = '"mesh"."bank__vault__accounts"'
    reads = checked.sql.count(physical)
    assert reads >= 1
    # Each read of the stored table is the FROM of a masking projection, nothing else.
    assert checked.sql.count("SHA256(CAST(") == reads
    assert checked.sql.count('CAST(NULL AS TEXT) AS "balance"') == reads
