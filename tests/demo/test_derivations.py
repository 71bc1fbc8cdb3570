"""Lineage is true of the data: derived products are computed from their inputs' rows,
and the values look like the climate they describe."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import h3
import pytest


@pytest.fixture(scope="module")
def db(demo_out: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Views named like the tables, over the generated files."""
    views = {
        "us": "us-precipitation/us_daily_precipitation.parquet",
        "us_stations": "us-precipitation/us_stations.parquet",
        "fr": "france-precipitation/fr_daily_precipitation.parquet",
        "global_v1": "global-precipitation/global_daily_precipitation_v1.parquet",
        "global_v2": "global-precipitation/global_daily_precipitation.parquet",
        "cities": "city-temperatures/cities.parquet",
        "city_days": "city-temperatures/city_daily_temperatures.parquet",
        "metro": "metropolitan-temperatures/metropolitan_daily_temperatures.parquet",
        "flood": "flood-areas/flood_prone_areas.csv",
        "assets": "physical-risk/assets.parquet",
        "exposure": "physical-risk/asset_flood_exposure.parquet",
        "companies": "disclosure-reporting/company_flood_disclosures.parquet",
        "disclosed": "disclosure-reporting/asset_disclosures.parquet",
        "air": "nyc-air-quality/air_quality.csv",
    }
    with duckdb.connect(":memory:") as conn:
        for name, path in views.items():
            reader = "read_csv" if path.endswith(".csv") else "read_parquet"
            conn.execute(f"CREATE VIEW {name} AS SELECT * FROM {reader}('{demo_out / path}')")
        yield conn


def rows(db: duckdb.DuckDBPyConnection, query: str) -> list[tuple[Any, ...]]:
    return db.execute(query).fetchall()


def one(db: duckdb.DuckDBPyConnection, query: str) -> Any:
    found = db.execute(query).fetchone()
    assert found is not None
    return found[0]


def test_global_is_us_in_mm_plus_france(db: duckdb.DuckDBPyConnection) -> None:
    us = {
        (s, d): v
        for s, d, v in rows(db, "SELECT station_id, observation_date, precipitation_in FROM us")
    }
    fr = {
        (s, d): v
        for s, d, v in rows(db, "SELECT station_id, observation_date, precipitation_mm FROM fr")
    }
    assert any(v > 0 for v in us.values()) and any(v > 0 for v in fr.values())
    v1 = rows(db, "SELECT station_key, observation_date, precipitation_mm FROM global_v1")
    assert len(v1) == len(us) + len(fr)
    for key, day, mm in v1:
        country, station = key.split(":")
        if country == "US":
            assert mm == pytest.approx(us[(station, day)] * 25.4, abs=1e-6)
        else:
            assert mm == fr[(station, day)]
    v2 = rows(db, "SELECT country_code, station_id, observation_date, precipitation_mm, "
                  "reported_value, reported_unit FROM global_v2")  # fmt: skip
    assert len(v2) == len(us) + len(fr)
    for country, station, day, mm, reported, unit in v2:
        if country == "US":
            assert (unit, reported) == ("in", us[(station, day)])
            assert mm == pytest.approx(reported * 25.4, abs=1e-6)
        else:
            assert (unit, reported, mm) == ("mm", fr[(station, day)], fr[(station, day)])


def test_units_differ_as_the_contracts_say(db: duckdb.DuckDBPyConnection) -> None:
    # A US year is tens of inches; a French year hundreds of millimetres.
    us_years = rows(db, "SELECT sum(precipitation_in) FROM us GROUP BY station_id")
    fr_years = rows(db, "SELECT sum(precipitation_mm) FROM fr GROUP BY station_id")
    assert all(3 < total < 100 for (total,) in us_years)
    assert all(250 < total < 2000 for (total,) in fr_years)


def test_precipitation_follows_each_climate(db: duckdb.DuckDBPyConnection) -> None:
    totals = dict(rows(db, "SELECT station_id, sum(precipitation_in) FROM us GROUP BY 1"))
    phoenix, miami, seattle = totals["USW00023183"], totals["USW00012839"], totals["USW00024233"]
    assert phoenix < seattle < miami
    # Los Angeles gets its rain in winter.
    winter, summer = rows(db, """
        SELECT sum(precipitation_in) FILTER (WHERE month(observation_date) IN (12, 1, 2)),
               sum(precipitation_in) FILTER (WHERE month(observation_date) IN (6, 7, 8))
        FROM us WHERE station_id = 'USW00023174'""")[0]  # fmt: skip
    assert winter > 3 * summer
    assert (
        one(db, "SELECT count(*) FROM us WHERE snowfall_in > 0 AND station_id = 'USW00023183'") == 0
    )
    # Météo-France leaves the last 30 days unvalidated (code 9).
    assert one(db, "SELECT min(observation_date) FROM fr WHERE quality_code = 9") == one(
        db, "SELECT CAST(max(observation_date) - INTERVAL 29 DAY AS DATE) FROM fr"
    )


def test_temperatures_have_seasons(db: duckdb.DuckDBPyConnection) -> None:
    for code, january, july in rows(db, """
            SELECT insee_code, avg(tmean_c) FILTER (WHERE month(observation_date) = 1),
                   avg(tmean_c) FILTER (WHERE month(observation_date) = 7)
            FROM city_days GROUP BY 1"""):  # fmt: skip
        assert july - january > 6, code
    marseille, lille = (one(db, f"SELECT avg(tmean_c) FROM city_days WHERE insee_code = '{c}'")
                        for c in ("13055", "59350"))  # fmt: skip
    assert marseille > lille + 2


def test_metropolitan_is_city_temperatures_of_mid_sized_metros(
    db: duckdb.DuckDBPyConnection,
) -> None:
    populations = rows(db, "SELECT insee_code, metropolitan_population FROM cities")
    expected = {code for code, pop in populations if 500_000 <= pop <= 1_500_000}
    assert {"69123", "59350", "33063", "31555", "44109", "06088", "67482"} == expected
    assert {c for (c,) in rows(db, "SELECT DISTINCT insee_code FROM metro")} == expected
    differing = one(db, """
        SELECT count(*) FROM metro m JOIN city_days t USING (insee_code, observation_date)
        WHERE m.tmin_c <> t.tmin_c OR m.tmax_c <> t.tmax_c OR m.tmean_c <> t.tmean_c
           OR m.hot_day <> (t.tmax_c >= 30)""")  # fmt: skip
    assert differing == 0
    in_scope = ",".join(f"'{c}'" for c in expected)
    assert one(db, "SELECT count(*) FROM metro") == one(
        db, f"SELECT count(*) FROM city_days WHERE insee_code IN ({in_scope})"
    )


def test_physical_risk_is_computed_from_flood_areas(db: duckdb.DuckDBPyConnection) -> None:
    areas = rows(
        db,
        """SELECT h3_cell, flood_type, return_period_years, hazard_score,
                               max_water_depth_m FROM flood""",
    )
    flood = {cell: tuple(facts) for cell, *facts in areas}
    exposure = rows(db, """
        SELECT a.h3_cell, e.h3_cell, e.exposed, e.flood_type, e.return_period_years,
               e.hazard_score, e.water_depth_m, e.risk_level
        FROM assets a JOIN exposure e USING (asset_id)""")  # fmt: skip
    assert len(exposure) == one(db, "SELECT count(*) FROM assets")
    exposed = 0
    for asset_cell, cell, is_exposed, kind, period, hazard, depth, risk in exposure:
        assert asset_cell == cell
        assert is_exposed == (cell in flood)
        if is_exposed:
            exposed += 1
            assert (kind, period, hazard, depth) == flood[cell]
            assert risk != "none"
        else:
            assert (kind, period, hazard, depth, risk) == (None, None, 0.0, 0.0, "none")
    assert 0.2 < exposed / len(exposure) < 0.9  # assets near flood areas, in and out of them


def test_disclosures_aggregate_physical_risk(db: duckdb.DuckDBPyConnection) -> None:
    per_company: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for lei, value, is_exposed, risk, loss in rows(db, """
            SELECT a.company_lei, a.replacement_value_usd, e.exposed, e.risk_level,
                   e.expected_annual_loss_usd
            FROM assets a JOIN exposure e USING (asset_id)"""):  # fmt: skip
        totals = per_company[lei]
        totals["assets"] += 1
        totals["exposed"] += is_exposed
        totals["high"] += risk in ("high", "severe")
        totals["value"] += value
        totals["loss"] += loss
    disclosed = rows(
        db,
        """SELECT company_lei, assets_total, assets_exposed, high_risk_assets,
                                   total_value_usd, expected_annual_loss_usd FROM companies""",
    )
    assert {r[0] for r in disclosed} == set(per_company)
    for lei, total, exposed, high, value, loss in disclosed:
        expected = per_company[lei]
        assert (total, exposed, high) == (expected["assets"], expected["exposed"], expected["high"])
        assert value == pytest.approx(expected["value"], abs=0.01)
        assert loss == pytest.approx(expected["loss"], abs=0.01)


def test_disclosed_assets_are_obfuscated(db: duckdb.DuckDBPyConnection) -> None:
    ids = [a for (a,) in rows(db, "SELECT asset_id FROM assets")]
    tokens = [t for (t,) in rows(db, "SELECT asset_token FROM disclosed")]
    assert len(tokens) == len(set(tokens)) == len(ids)
    assert not set(tokens) & set(ids)
    assert not any(a[4:] in t for a in ids[:200] for t in tokens)  # no digits of the id leak
    # Locations are coarsened: the disclosed cells are the assets' cells' parents.
    parents = {h3.cell_to_parent(c, 5) for (c,) in rows(db, "SELECT h3_cell FROM assets")}
    assert {c for (c,) in rows(db, "SELECT DISTINCT h3_cell_res5 FROM disclosed")} == parents
    per_risk = dict(rows(db, "SELECT risk_level, count(*) FROM disclosed GROUP BY 1"))
    assert per_risk == dict(rows(db, "SELECT risk_level, count(*) FROM exposure GROUP BY 1"))


def test_nyc_air_quality_rules_and_shape(db: duckdb.DuckDBPyConnection) -> None:
    assert one(
        db, "SELECT min(UniqueID) >= 100000 AND count(DISTINCT UniqueID) = count(*) FROM air"
    )
    assert one(db, "SELECT min(DataValue) >= 0 AND max(DataValue) < 500 FROM air")
    assert {t for (t,) in rows(db, "SELECT DISTINCT GeoTypeName FROM air")} == {
        "CD", "UHF42", "Borough", "Citywide"
    }  # fmt: skip
    assert one(db, "SELECT count(DISTINCT GeoJoinID) FROM air WHERE GeoTypeName = 'CD'") == 59
    assert one(db, "SELECT count(*) FROM air WHERE GeoPlaceName = 'Coney Island (CD13)'") > 0
    ozone = rows(
        db, "SELECT DISTINCT split_part(TimePeriod, ' ', 1) FROM air WHERE Name = 'Ozone (O3)'"
    )
    assert ozone == [("Summer",)]
    # Fine particles have fallen since the survey began.
    first, last = rows(db, """
        SELECT min_by(DataValue, StartDate), max_by(DataValue, StartDate) FROM air
        WHERE IndicatorID = 365 AND GeoTypeName = 'Citywide'
          AND TimePeriod LIKE 'Annual%'""")[0]  # fmt: skip
    assert last < first
