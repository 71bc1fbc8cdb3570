"""What each golden statement must RETURN, checked apart from the planner.

``test_golden.py`` only notices that a rewrite changed: a wrong rewrite written into a
fixture passes there. Here each golden DuckDB statement runs over the demo files and its
answer is compared with an answer computed without the planner: a reference query over
the raw files (``read_parquet`` / ``read_csv``, file names and versions chosen by hand),
or plain Python over the files for a few. Each case also names its result columns by hand
(lower case, ``_col_0`` for an unnamed expression: docs/sql.md), and the Trino statement
must select the same columns from the stores the contract names.

A statement capped by a LIMIT (its own, or the row cap's ``LIMIT max_rows + 1``) may
return any rows of a larger answer: its rows must all belong to the reference answer,
and there must be exactly as many as the cap allows.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
import sqlglot

from gateway.federation.engines import DuckDBEngine
from gateway.federation.engines.base import Result
from tests.federation.demo_catalog import ROOT, demo_catalog
from tests.federation.golden import Case, cases

DATA = ROOT / "demo" / "data"
CAP = 1001  # the default row cap: max_rows 1000, plus one row to tell truncation

Rows = list[tuple[Any, ...]]


def parquet(path: str) -> str:
    return f"read_parquet('{DATA / path}.parquet')"


def csv(path: str) -> str:
    return f"read_csv('{DATA / path}.csv', header = true)"


US_STATIONS = parquet("us-precipitation/us_stations")
US_DAILY = parquet("us-precipitation/us_daily_precipitation")
FR_STATIONS = parquet("france-precipitation/fr_stations")
FR_DAILY = parquet("france-precipitation/fr_daily_precipitation")
CITIES = parquet("city-temperatures/cities")
CITY_DAILY = parquet("city-temperatures/city_daily_temperatures")
METRO_DAILY = parquet("metropolitan-temperatures/metropolitan_daily_temperatures")
ASSETS = parquet("physical-risk/assets")
GLOBAL_DAILY = parquet("global-precipitation/global_daily_precipitation")
FLOOD = csv("flood-areas/flood_prone_areas")
AIR = csv("nyc-air-quality/air_quality")


def _python_count_star() -> Rows:
    return [(pcsv.read_csv(DATA / "flood-areas" / "flood_prone_areas.csv").num_rows,)]


def _python_union_all() -> Rows:
    rows: Rows = []
    for path in ("us-precipitation/us_stations", "france-precipitation/fr_stations"):
        table = pq.read_table(DATA / f"{path}.parquet", columns=["station_id", "h3_cell"])
        rows += [(r["station_id"], r["h3_cell"]) for r in table.to_pylist()]
    return rows


def _python_top_cities() -> Rows:
    cities = pq.read_table(DATA / "city-temperatures" / "cities.parquet").to_pylist()
    cities.sort(key=lambda c: c["population"], reverse=True)
    return [(c["city_name"],) for c in cities[:3]]


def _python_version_one_wet_days() -> Rows:
    # Version 1.0.0 of the contract lives in its own file (physicalName ..._v1).
    table = pq.read_table(
        DATA / "global-precipitation" / "global_daily_precipitation_v1.parquet",
        columns=["station_key", "precipitation_mm"],
    )
    wet = table.filter(pc.greater(table["precipitation_mm"], 10))
    return [(r["station_key"], r["precipitation_mm"]) for r in wet.to_pylist()]


@dataclass(frozen=True)
class Expected:
    columns: tuple[str, ...]
    reference: str | Callable[[], Rows]  # SQL over the raw files, or Python
    limit: int = CAP  # the most rows the statement may return
    descending: int | None = None  # index of a column the rows are ordered by, descending


EXPECTED: dict[str, Expected] = {
    "01_star_expansion": Expected(
        ("station_id", "station_name", "state_code", "latitude", "longitude", "elevation_m",
         "h3_cell"),
        f"SELECT station_id, station_name, state_code, latitude, longitude, elevation_m, h3_cell"
        f" FROM {US_STATIONS}",
    ),
    "02_join_using": Expected(
        ("station_name", "mean_in"),
        f"SELECT s.station_name, round(avg(p.precipitation_in), 2) FROM {US_DAILY} p"
        f" JOIN {US_STATIONS} s ON s.station_id = p.station_id GROUP BY s.station_name",
        limit=5,
        descending=1,
    ),
    "03_natural_join": Expected(
        ("station_id", "h3_cell", "station_name", "department_code", "latitude", "longitude",
         "altitude_m", "observation_date", "precipitation_mm", "quality_code", "ingested_at"),
        f"SELECT s.station_id, s.h3_cell, s.station_name, s.department_code, s.latitude,"
        f" s.longitude, s.altitude_m, d.observation_date, d.precipitation_mm, d.quality_code,"
        f" d.ingested_at FROM {FR_STATIONS} s JOIN {FR_DAILY} d"
        f" ON d.station_id = s.station_id AND d.h3_cell = s.h3_cell",
        limit=10,
    ),
    "04_unit_conversion": Expected(
        ("observation_date", "us_mm", "fr_mm"),
        f"SELECT us.observation_date, avg(us.precipitation_in * 25.4), avg(fr.precipitation_mm)"
        f" FROM {US_DAILY} us JOIN {FR_DAILY} fr ON fr.observation_date = us.observation_date"
        f" GROUP BY us.observation_date",
    ),
    "05_h3_three_products": Expected(
        ("company_name", "flood_type", "days", "rain_mm"),
        f"SELECT a.company_name, f.flood_type, count(*), sum(g.precipitation_mm) FROM {ASSETS} a"
        f" JOIN {FLOOD} f ON f.h3_cell = a.h3_cell"
        f" JOIN {GLOBAL_DAILY} g ON g.h3_cell = a.h3_cell GROUP BY 1, 2",
    ),
    "06_cte_window": Expected(
        ("insee_code", "observation_date", "tmax_c", "hottest", "week_mean"),
        f"SELECT insee_code, observation_date, tmax_c,"
        f" rank() OVER (PARTITION BY insee_code ORDER BY tmax_c DESC),"
        f" avg(tmax_c) OVER (PARTITION BY insee_code ORDER BY observation_date"
        f"  ROWS BETWEEN 6 PRECEDING AND CURRENT ROW)"
        f" FROM {CITY_DAILY} WHERE observation_date >= DATE '2024-01-01'",
    ),
    "07_union_all": Expected(("station_id", "h3_cell"), _python_union_all),
    "08_correlated_subquery": Expected(
        ("station_name", "wettest"),
        f"SELECT s.station_name, (SELECT max(d.precipitation_mm) FROM {FR_DAILY} d"
        f" WHERE d.station_id = s.station_id) FROM {FR_STATIONS} s",
    ),
    "09_values": Expected(("_col_0", "_col_1"), lambda: [(1, "a"), (2, "b")]),
    "10_user_limit_over_cap": Expected(
        ("city_name",), f"SELECT city_name FROM {CITIES}", limit=101
    ),
    "11_fetch_first": Expected(("city_name",), _python_top_cities, limit=3),
    "12_versioned_table": Expected(
        ("station_key", "precipitation_mm"), _python_version_one_wet_days
    ),
    "13_dates": Expected(
        ("month", "span_days", "next_day", "first_year"),
        f"SELECT date_trunc('month', observation_date),"
        f" max(observation_date) - min(observation_date), max(observation_date) + 1,"
        f" year(min(observation_date)) FROM {US_DAILY} GROUP BY 1",
    ),
    "14_mixed_case_columns": Expected(
        ("name", "geoplacename", "mean_value"),
        f'SELECT "Name", "GeoPlaceName", avg("DataValue") FROM {AIR}'
        f" WHERE \"Name\" LIKE '%Ozone%' GROUP BY 1, 2",
    ),
    "15_count_star": Expected(("_col_0",), _python_count_star),
    "16_conditional_cast": Expected(
        ("level", "period", "depth", "n"),
        f"SELECT CASE WHEN hazard_score >= 0.7 THEN 'high' ELSE 'other' END,"
        f" CAST(return_period_years AS varchar), coalesce(max_water_depth_m, 0),"
        f" try_cast(evidence_sources AS integer) FROM {FLOOD}",
    ),
    "17_string_functions": Expected(
        ("name", "dept", "len", "label", "shout"),
        f"SELECT lower(city_name), substr(insee_code, 1, 2), length(city_name),"
        f" city_name || ' (' || department_code || ')', city_name || '!' FROM {CITIES}",
    ),
    "18_star_of_alias": Expected(
        ("insee_code", "city_name", "department_code", "latitude", "longitude", "h3_cell",
         "population", "metropolitan_area", "metropolitan_population", "diurnal_range_c"),
        f"SELECT c.*, m.diurnal_range_c FROM {CITIES} c JOIN {METRO_DAILY} m"
        f" ON m.insee_code = c.insee_code",
        limit=20,
    ),
}  # fmt: skip

CASES = cases()


def _value(value: Any) -> Any:
    """One comparable form for both sides: floats to 6 places (sums in another order
    differ in the last bits; an exact decimal too), a midnight timestamp as its date, a
    zoned one as its instant."""
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else round(value, 6)  # NaN == NaN here, not NULL
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.timestamp()
        return value.date() if value.time() == datetime.min.time() else value
    return value


def _normal(rows: Sequence[Sequence[Any]]) -> Rows:
    return [tuple(_value(v) for v in row) for row in rows]


def _reference(expected: Expected) -> Rows:
    if callable(expected.reference):
        return _normal(expected.reference())
    with duckdb.connect() as conn:
        conn.execute("SET TimeZone = 'UTC'")
        return _normal(conn.execute(expected.reference).fetchall())


@pytest.fixture(scope="module")
def answers() -> dict[str, Result | Exception]:
    """Each case's answer from one engine; a statement that fails fails only its case."""

    async def run_all() -> dict[str, Result | Exception]:
        engine = DuckDBEngine(demo_catalog().tables(), root=ROOT)
        found: dict[str, Result | Exception] = {}
        try:
            for case in CASES:
                try:
                    found[case.name] = await engine.run_sql(
                        case.expected["duckdb"], timeout_s=60, max_rows=100_000
                    )
                except Exception as exc:  # reported by the case's own test
                    found[case.name] = exc
        finally:
            await engine.close()
        return found

    return asyncio.run(run_all())


def test_every_golden_case_has_a_hand_written_answer() -> None:
    assert {c.name for c in CASES} == set(EXPECTED)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_duckdb_statement_returns_the_reference_answer(
    case: Case, answers: dict[str, Result | Exception]
) -> None:
    expected = EXPECTED[case.name]
    result = answers[case.name]
    if isinstance(result, Exception):
        raise result
    if expected.columns:
        assert tuple(name for name, _ in result.columns) == expected.columns
    got, full = _normal(result.rows), _reference(expected)
    assert full, "the reference answer is empty: the check would prove nothing"
    assert len(got) == min(len(full), expected.limit)
    missing = Counter(got) - Counter(full)
    assert not missing, f"rows not in the reference answer: {list(missing)[:3]}"
    if expected.descending is not None:
        key = expected.descending
        assert [r[key] for r in got] == sorted((r[key] for r in full), reverse=True)[: len(got)]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_trino_statement_selects_the_same_columns(case: Case) -> None:
    expected = EXPECTED[case.name]
    tree = sqlglot.parse_one(case.expected["trino"], read="trino")
    if expected.columns:
        assert tuple(tree.named_selects) == expected.columns
    catalogs = {t.catalog for t in tree.find_all(sqlglot.exp.Table) if t.catalog}
    assert catalogs <= {"demo_pg", "demo_mariadb"}
