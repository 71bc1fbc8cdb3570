"""Access from contracts on real engines: the same masked values and filtered rows on DuckDB
and Trino, clear values for the owner, and no SQL that brings a masked value back.

The demo's physical-risk contract grants ``analyst`` (masked), ``risk_analyst``
(``unmasked``) and ``france_risk_analyst`` (French assets only); ``owner:physical-risk``
owns the product. Expected hashes are computed here with hashlib from the owner's clear rows.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import duckdb
import pytest
import sqlglot

from gateway.errors import Forbidden
from gateway.federation.catalog import CatalogColumn
from gateway.federation.engines import DuckDBEngine
from gateway.federation.engines.trino_engine import TrinoEngine
from gateway.federation.planner import Plan, plan
from gateway.federation.planner.masks import mask_expression
from gateway.identity import Principal
from tests.federation.demo_catalog import demo_catalog
from tests.federation.two_engines.compare import normalised
from tests.fixtures.trino import trino_connection

ASSETS = '"physical-risk"."physical-risk".assets'
EXPOSURE = '"physical-risk"."physical-risk".asset_flood_exposure'
ANALYST = Principal("ana", roles=frozenset({"analyst"}))
FRANCE = Principal("fra", roles=frozenset({"france_risk_analyst"}))
RISK = Principal("ria", roles=frozenset({"risk_analyst"}))
OWNER = Principal("hko", roles=frozenset({"owner:physical-risk"}))
MAX_ROWS = 5_000


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def both(
    sql: str,
    principal: Principal,
    trino_engine: TrinoEngine,
    duckdb_engine: DuckDBEngine,
    *,
    ordered: bool = True,
) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` for ``principal``, after checking both engines give the same
    (as a sorted list when the statement does not order its rows)."""
    answers = []
    for engine in (trino_engine, duckdb_engine):
        checked = plan(sql, demo_catalog(), engine.name, max_rows=MAX_ROWS, principal=principal)
        answers.append(await engine.execute(checked, timeout_s=120, max_rows=MAX_ROWS))
    on_trino, on_duckdb = answers
    assert not on_trino.truncated and not on_duckdb.truncated
    rows = [normalised(on_trino.rows), normalised(on_duckdb.rows)]
    if not ordered:
        rows = [sorted(r, key=repr) for r in rows]
    assert rows[0] == rows[1]
    return rows[1]


async def test_an_analyst_sees_masks_the_owner_sees_values_on_both_engines(
    trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    sql = (
        "SELECT asset_id, h3_cell, latitude, replacement_value_usd, country_code "
        f"FROM {ASSETS} ORDER BY asset_id"
    )
    clear = await both(sql, OWNER, trino_engine, duckdb_engine)
    masked = await both(sql, ANALYST, trino_engine, duckdb_engine)
    assert clear and all(str(r[0]).startswith("CQA-") for r in clear)
    expected = sorted((sha(a), sha(h), "****", None, c) for a, h, _, _, c in clear)
    assert sorted(masked) == expected
    assert await both(sql, RISK, trino_engine, duckdb_engine) == clear


async def test_a_join_on_a_masked_key_still_matches(
    trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    sql = (
        f"SELECT e.risk_level, count(*) AS n FROM {ASSETS} a JOIN {EXPOSURE} e "
        "ON e.asset_id = a.asset_id GROUP BY e.risk_level ORDER BY e.risk_level"
    )
    owner = await both(sql, OWNER, trino_engine, duckdb_engine)
    assert owner and await both(sql, ANALYST, trino_engine, duckdb_engine) == owner


async def test_a_role_with_a_row_filter_sees_only_its_rows(
    trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    sql = f"SELECT country_code, count(*) AS n FROM {ASSETS} GROUP BY country_code ORDER BY 1"
    everything = dict(await both(sql, OWNER, trino_engine, duckdb_engine))
    assert set(everything) == {"FR", "US"}
    assert await both(sql, FRANCE, trino_engine, duckdb_engine) == [("FR", everything["FR"])]
    # The role's filter names only assets: the exposure table is closed to it.
    with pytest.raises(Forbidden) as refused:
        plan(f"SELECT risk_level FROM {EXPOSURE}", demo_catalog(), "trino", max_rows=1,
             principal=FRANCE)  # fmt: skip
    assert "does not name the table asset_flood_exposure" in refused.value.message


UNMASK_ATTEMPTS = {
    "cte": f"WITH c AS (SELECT asset_id AS x, latitude AS y FROM {ASSETS}) SELECT x, y FROM c",
    "union": f"SELECT asset_id FROM {ASSETS} UNION ALL SELECT h3_cell FROM {EXPOSURE}",
    "window": f"SELECT min(asset_id) OVER (PARTITION BY country_code) AS m, "
    f"max(latitude) OVER () AS l FROM {ASSETS}",
    "group-by": f"SELECT asset_id, latitude, count(*) AS n FROM {ASSETS} GROUP BY 1, 2",
    "join": f"SELECT a.asset_id, e.asset_id AS other FROM {ASSETS} a JOIN {EXPOSURE} e "
    "ON a.asset_id = e.asset_id",
    "star": f"SELECT * FROM {ASSETS}",
    "qualified-star": f"SELECT a.* FROM {ASSETS} AS a",
    "casts": f"SELECT TRY_CAST(latitude AS DOUBLE) AS lat, TRY_CAST(asset_id AS VARCHAR) "
    f"AS v FROM {ASSETS} WHERE latitude IS NOT NULL",
    "aggregates": f"SELECT max(asset_id) AS a, min(h3_cell) AS h, sum(length(asset_id)) AS n "
    f"FROM {ASSETS}",
    "substring": f"SELECT substring(asset_id, 1, 12) AS a FROM {ASSETS}",
}


@pytest.mark.parametrize("sql", UNMASK_ATTEMPTS.values(), ids=UNMASK_ATTEMPTS.keys())
async def test_no_query_brings_a_masked_value_back_in_clear(
    sql: str, trino_engine: TrinoEngine, duckdb_engine: DuckDBEngine
) -> None:
    columns = "asset_id, h3_cell, latitude, longitude, replacement_value_usd"
    clear = await both(
        f"SELECT {columns} FROM {ASSETS}", OWNER, trino_engine, duckdb_engine, ordered=False
    )
    secrets = {str(v) for row in clear for v in row if v is not None}
    assert len(secrets) > 100
    rows = await both(sql, ANALYST, trino_engine, duckdb_engine, ordered=False)
    shown = {str(v) for row in rows for v in row if v is not None}
    assert rows and not shown & secrets


# --- one canonical text per value, the same hash on both engines ------------------------------

NUMBER = CatalogColumn("v", "number", "double")
TS = "timestamp with time zone"
VALUES = {
    "double": ("CAST(12500000.0 AS DOUBLE)", None, NUMBER, "12500000.000000000"),
    "negative": ("CAST(-90.250175 AS DOUBLE)", None, NUMBER, "-90.250175000"),
    "decimal": ("CAST(1.5 AS DECIMAL(10, 2))", None, NUMBER, "1.500000000"),
    "bigint": ("CAST(42 AS BIGINT)", None, CatalogColumn("v", "integer", "bigint"), "42"),
    "text": ("'Chloé'", None, CatalogColumn("v", "string", "varchar(64)"), "Chloé"),
    "boolean": ("TRUE", None, CatalogColumn("v", "boolean", "boolean"), "true"),
    "date": ("DATE '2024-01-31'", None, CatalogColumn("v", "date", "date"), "2024-01-31"),
    "timestamp": (
        "CAST('2024-01-31 10:00:00.123' AS TIMESTAMP(3))",
        "CAST('2024-01-31 10:00:00.123' AS TIMESTAMP)",
        CatalogColumn("v", "timestamp", "timestamp"),
        "2024-01-31 10:00:00.123000",
    ),
    "timestamptz": (
        "CAST('2024-01-31 10:00:00 +01:00' AS TIMESTAMP(3) WITH TIME ZONE)",
        "CAST('2024-01-31 10:00:00+01:00' AS TIMESTAMPTZ)",
        CatalogColumn("v", "timestamp", TS),
        "2024-01-31 09:00:00.000000",
    ),
}


def masked_on(engine: str, value_sql: str, column: CatalogColumn) -> tuple[Any, ...]:
    """The mask of ``value_sql`` (and of a NULL) computed by ``engine`` itself."""
    value = sqlglot.parse_one(value_sql, read=engine)
    null = sqlglot.parse_one(f"CASE WHEN FALSE THEN {value_sql} END", read=engine)
    masks = [mask_expression(v, column, engine).sql(engine) for v in (value, null)]
    sql = f"SELECT {masks[0]}, {masks[1]}"
    if engine == "duckdb":
        found = duckdb.connect().execute(sql).fetchone()
        assert found is not None
        return tuple(found)
    cursor = trino_connection(user="test").cursor()
    cursor.execute(sql)
    return tuple(cursor.fetchall()[0])


@pytest.mark.parametrize("case", VALUES.values(), ids=VALUES.keys())
def test_hash_masks_give_the_same_string_on_both_engines(
    case: tuple[str, str | None, CatalogColumn, str], trino_url: str
) -> None:
    on_trino, on_duckdb, column, text = case
    assert masked_on("trino", on_trino, column) == (sha(text), None)
    assert masked_on("duckdb", on_duckdb or on_trino, column) == (sha(text), None)


# --- Trino sees who asked ------------------------------------------------------------------


async def test_trino_runs_a_callers_query_as_the_caller(trino_engine: TrinoEngine) -> None:
    subject = f"access-test-{uuid.uuid4().hex[:10]}"
    caller = Principal(subject, roles=frozenset({"analyst"}))
    checked: Plan = plan(
        f"SELECT count(*) AS n FROM {ASSETS}", demo_catalog(), "trino", max_rows=1,
        principal=caller,
    )  # fmt: skip
    assert checked.user == subject
    await trino_engine.execute(checked, timeout_s=60, max_rows=1)
    cursor = trino_connection(user="test").cursor()
    cursor.execute(f"SELECT source, query FROM system.runtime.queries WHERE user = '{subject}'")
    seen = cursor.fetchall()
    assert len(seen) == 1 and seen[0][0] == "meshgate" and "count(*)" in seen[0][1].lower()
