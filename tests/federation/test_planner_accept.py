"""Must-accept: read-only queries over logical names plan for both engines, and the plan
says which tables and declared columns each one reads.
"""

from __future__ import annotations

import pytest
import sqlglot

from gateway.federation import plan
from tests.federation.demo_catalog import demo_catalog

US = 'precipitation."us-precipitation".us_daily_precipitation'
ST = 'precipitation."us-precipitation".us_stations'
FR = 'precipitation."france-precipitation".fr_daily_precipitation'
GL = 'precipitation."global-precipitation".global_daily_precipitation'
FL = 'flood."flood-areas".flood_prone_areas'
AS = '"physical-risk"."physical-risk".assets'
CT = 'temperature."city-temperatures".cities'

# (id, statement, {table: columns read})
ACCEPT: list[tuple[str, str, dict[str, set[str]]]] = [
    ("literal", "SELECT 1 AS one", {}),
    ("values", "VALUES (1, 'a'), (2, 'b')", {}),
    ("parenthesized", f"(SELECT station_id FROM {ST})", {"us_stations": {"station_id"}}),
    ("trailing-semicolon", f"SELECT station_id FROM {ST};", {"us_stations": {"station_id"}}),
    ("trailing-comment", f"SELECT station_id FROM {ST}; -- done", {"us_stations": {"station_id"}}),
    ("unquoted-upper", f"SELECT STATION_ID FROM {ST}", {"us_stations": {"station_id"}}),
    ("count-star", f"SELECT count(*) FROM {US}", {"us_daily_precipitation": set()}),
    ("where-order", f"SELECT station_id FROM {US} WHERE precipitation_in > 1 "
                    "ORDER BY observation_date",
     {"us_daily_precipitation": {"station_id", "precipitation_in", "observation_date"}}),
    ("join-using", f"SELECT station_name, precipitation_in FROM {US} JOIN {ST} USING (station_id)",
     {"us_daily_precipitation": {"station_id", "precipitation_in"},
      "us_stations": {"station_id", "station_name"}}),
    ("left-join", f"SELECT s.station_id, d.precipitation_in FROM {ST} s LEFT JOIN {US} d "
                  "ON d.station_id = s.station_id AND d.observation_date = DATE '2024-01-01'",
     {"us_stations": {"station_id"},
      "us_daily_precipitation": {"station_id", "precipitation_in", "observation_date"}}),
    ("three-stores", f"SELECT a.asset_id, f.hazard_score, g.precipitation_mm FROM {AS} a "
                     f"JOIN {FL} f ON f.h3_cell = a.h3_cell JOIN {GL} g ON g.h3_cell = a.h3_cell",
     {"assets": {"asset_id", "h3_cell"}, "flood_prone_areas": {"hazard_score", "h3_cell"},
      "global_daily_precipitation": {"precipitation_mm", "h3_cell"}}),
    ("group-having", f"SELECT station_id, sum(precipitation_in) AS total FROM {US} "
                     "GROUP BY station_id HAVING sum(precipitation_in) > 10",
     {"us_daily_precipitation": {"station_id", "precipitation_in"}}),
    ("window", "SELECT station_id, lag(precipitation_in) OVER (PARTITION BY station_id "
               "ORDER BY observation_date) AS previous FROM " + US,
     {"us_daily_precipitation": {"station_id", "precipitation_in", "observation_date"}}),
    ("cte-chain", f"WITH a AS (SELECT station_id, precipitation_in FROM {US}), "
                  "b AS (SELECT station_id, max(precipitation_in) AS m FROM a GROUP BY 1) "
                  "SELECT * FROM b",
     {"us_daily_precipitation": {"station_id", "precipitation_in"}}),
    ("cte-named-like-a-table", f"WITH us_stations AS (SELECT station_id FROM {ST}) "
                               "SELECT * FROM us_stations", {"us_stations": {"station_id"}}),
    ("derived-table", f"SELECT x.n FROM (SELECT count(*) AS n FROM {FR}) AS x",
     {"fr_daily_precipitation": set()}),
    ("in-subquery", f"SELECT station_name FROM {ST} WHERE station_id IN "
                    f"(SELECT station_id FROM {US} WHERE precipitation_in > 3)",
     {"us_stations": {"station_name", "station_id"},
      "us_daily_precipitation": {"station_id", "precipitation_in"}}),
    ("exists", f"SELECT s.station_name FROM {ST} s WHERE EXISTS "
               f"(SELECT 1 FROM {US} d WHERE d.station_id = s.station_id)",
     {"us_stations": {"station_name", "station_id"}, "us_daily_precipitation": {"station_id"}}),
    ("union", f"SELECT h3_cell FROM {ST} UNION SELECT h3_cell FROM {FL}",
     {"us_stations": {"h3_cell"}, "flood_prone_areas": {"h3_cell"}}),
    ("intersect", f"SELECT h3_cell FROM {ST} INTERSECT SELECT h3_cell FROM {FL}",
     {"us_stations": {"h3_cell"}, "flood_prone_areas": {"h3_cell"}}),
    ("except", f"SELECT h3_cell FROM {ST} EXCEPT SELECT h3_cell FROM {FL}",
     {"us_stations": {"h3_cell"}, "flood_prone_areas": {"h3_cell"}}),
    ("case-cast", f"SELECT CASE WHEN population > 1000000 THEN 'big' END AS size, "
                  f"CAST(population AS double) / 1000 AS k FROM {CT}", {"cities": {"population"}}),
    ("offset", f"SELECT city_name FROM {CT} ORDER BY city_name OFFSET 5 LIMIT 5",
     {"cities": {"city_name"}}),
    ("versioned-major", 'SELECT station_key FROM precipitation."global-precipitation".'
                        '"global_daily_precipitation@1"',
     {"global_daily_precipitation": {"station_key"}}),
    ("both-versions", f'SELECT n.country_code, o.station_key FROM {GL} n JOIN precipitation.'
                      '"global-precipitation"."global_daily_precipitation@1.0.0" o '
                      "ON o.h3_cell = n.h3_cell AND o.observation_date = n.observation_date",
     {"global_daily_precipitation": {"country_code", "station_key", "h3_cell",
                                     "observation_date"}}),
    ("union-order-by", f"SELECT h3_cell AS cell FROM {ST} UNION SELECT h3_cell FROM {FL} "
                       "ORDER BY cell",
     {"us_stations": {"h3_cell"}, "flood_prone_areas": {"h3_cell"}}),
    ("lateral", f"SELECT l.x FROM {CT} c, LATERAL (SELECT c.population AS x) l",
     {"cities": {"population"}}),
    ("self-join", f"SELECT a.city_name, b.city_name FROM {CT} a JOIN {CT} b "
                  "ON a.metropolitan_area = b.metropolitan_area AND a.insee_code < b.insee_code",
     {"cities": {"city_name", "metropolitan_area", "insee_code"}}),
    ("string-functions", f"SELECT upper(station_name), trim(state_code), "
                         f"regexp_like(station_id, '^USW') FROM {ST}",
     {"us_stations": {"station_name", "state_code", "station_id"}}),
]  # fmt: skip


def test_the_list_is_long_enough() -> None:
    assert len(ACCEPT) >= 20


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
@pytest.mark.parametrize(("sql", "reads"), [a[1:] for a in ACCEPT], ids=[a[0] for a in ACCEPT])
def test_must_accept(sql: str, reads: dict[str, set[str]], engine: str) -> None:
    result = plan(sql, demo_catalog(), engine, max_rows=50)
    found: dict[str, set[str]] = {}
    for use in result.tables:
        found.setdefault(use.table.table, set()).update(use.columns)
    assert found == reads
    # What the engine gets parses in its own dialect and names no logical table.
    tree = sqlglot.parse_one(result.sql, read=engine)
    written = {t.sql(dialect=engine) for t in tree.find_all(sqlglot.exp.Table)}
    assert not any("-" in name or "@" in name for name in written), written
    assert result.row_cap == 50


def test_a_plan_lists_products_and_contract_versions() -> None:
    sql = f"SELECT a.asset_id FROM {AS} a JOIN {FL} f ON f.h3_cell = a.h3_cell"
    result = plan(sql, demo_catalog(), "duckdb", max_rows=10)
    assert [(u.table.logical, u.table.contract_version) for u in result.tables] == [
        ("physical-risk.physical-risk.assets", "1.0.0"),
        ("flood.flood-areas.flood_prone_areas", "1.0.0"),
    ]
    assert result.products == (
        "8d3d0c19-2d64-4089-b24a-b39521a7a924",
        "ec69724e-4611-4011-8fde-78e793ed88e1",
    )


def test_the_newest_contract_version_is_the_default() -> None:
    result = plan(f"SELECT country_code FROM {GL}", demo_catalog(), "trino", max_rows=10)
    assert result.tables[0].table.contract_version == "2.0.0"
    old = plan(
        'SELECT station_key FROM precipitation."global-precipitation".'
        '"global_daily_precipitation@1.0.0"',
        demo_catalog(),
        "trino",
        max_rows=10,
    )
    assert old.tables[0].table.contract_version == "1.0.0"
    assert '"global_daily_precipitation_v1"' in old.sql


@pytest.mark.parametrize(
    ("sql", "cap", "expected"),
    [
        (f"SELECT city_name FROM {CT}", 10, 11),
        (f"SELECT city_name FROM {CT} LIMIT 3", 10, 3),
        (f"SELECT city_name FROM {CT} LIMIT 10", 10, 10),
        (f"SELECT city_name FROM {CT} LIMIT 11", 10, 11),
        (f"SELECT city_name FROM {CT} LIMIT 999", 10, 11),
        (f"SELECT city_name FROM {CT} FETCH FIRST 2 ROWS ONLY", 10, 2),
    ],
)
def test_the_row_cap_asks_for_one_row_more_than_the_cap(sql: str, cap: int, expected: int) -> None:
    result = plan(sql, demo_catalog(), "duckdb", max_rows=cap)
    limit = sqlglot.parse_one(result.sql, read="duckdb").args["limit"]
    assert int(limit.expression.this) == expected


def test_without_a_cap_the_query_is_left_unlimited() -> None:
    result = plan(f"SELECT city_name FROM {CT}", demo_catalog(), "trino", max_rows=None)
    assert "LIMIT" not in result.sql


def test_comments_never_reach_the_engine() -> None:
    sql = f"SELECT /* hi */ city_name -- x */ ; DROP TABLE t\nFROM {CT}"
    result = plan(sql, demo_catalog(), "duckdb", max_rows=1)
    assert "DROP" not in result.sql and "/*" not in result.sql and "--" not in result.sql
