"""Consumer-aligned products, computed in SQL from their input products' files.

DuckDB reads the upstream files and writes the result with ``COPY``, streaming, so memory
stays bounded at any scale. Each query is what the product's contract describes in its
``transformLogic`` fields: the lineage declared in the descriptors is true of the data.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import h3

from demo.datagen import tables
from demo.datagen.places import METRO_MAX_POPULATION, METRO_MIN_POPULATION
from demo.datagen.run import Run

MM_PER_INCH = 25.4
DISCLOSURE_H3_RESOLUTION = 5  # about 250 km²: a disclosed asset cannot be located
HOT_DAY_C = 30.0  # Météo-France's "journée chaude" threshold on the daily maximum


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never fetches or loads extensions."""
    db = duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "threads": 2,
            "preserve_insertion_order": True,
        },
    )
    return db


def _copy(db: duckdb.DuckDBPyConnection, query: str, target: Path) -> None:
    """Write ``query``'s rows to ``target`` (Parquet), in place only once complete."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    db.execute(f"COPY ({query}) TO '{_quoted(tmp)}' (FORMAT parquet, COMPRESSION zstd)")
    tmp.replace(target)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _src(run: Run, table: tables.TableFile) -> str:
    reader = "read_parquet" if table.format == "parquet" else "read_csv"
    return f"{reader}('{_quoted(table.path(run.out))}')"


def write_global(run: Run) -> None:
    """Global precipitation, v1 and v2: the US series converted to mm, plus France's."""
    db = connect()
    us, fr = _src(run, tables.US_DAILY), _src(run, tables.FR_DAILY)
    us_st, fr_st = _src(run, tables.US_STATIONS), _src(run, tables.FR_STATIONS)
    v1 = f"""
        SELECT 'US:' || station_id AS station_key, observation_date, h3_cell,
               round(precipitation_in * {MM_PER_INCH}, 3) AS precipitation_mm,
               'precipitation.us-precipitation' AS source_product
        FROM {us}
        UNION ALL
        SELECT 'FR:' || station_id, observation_date, h3_cell, precipitation_mm,
               'precipitation.france-precipitation'
        FROM {fr}
        ORDER BY station_key, observation_date"""
    _copy(db, v1, tables.GLOBAL_V1.path(run.out))
    v2 = f"""
        SELECT 'US' AS country_code, p.station_id, s.station_name, p.observation_date,
               p.h3_cell, round(p.precipitation_in * {MM_PER_INCH}, 3) AS precipitation_mm,
               p.precipitation_in AS reported_value, 'in' AS reported_unit,
               'precipitation.us-precipitation' AS source_product
        FROM {us} p JOIN {us_st} s USING (station_id)
        UNION ALL
        SELECT 'FR', p.station_id, s.station_name, p.observation_date, p.h3_cell,
               p.precipitation_mm, p.precipitation_mm, 'mm',
               'precipitation.france-precipitation'
        FROM {fr} p JOIN {fr_st} s USING (station_id)
        ORDER BY country_code, station_id, observation_date"""
    _copy(db, v2, tables.GLOBAL_V2.path(run.out))
    db.close()


def write_metropolitan(run: Run) -> None:
    """Metropolitan temperatures: the cities whose metropolitan area has 500k to 1.5M people."""
    db = connect()
    query = f"""
        SELECT c.metropolitan_area, t.insee_code, c.city_name, t.observation_date, t.h3_cell,
               c.metropolitan_population, t.tmin_c, t.tmax_c, t.tmean_c,
               round(t.tmax_c - t.tmin_c, 1) AS diurnal_range_c,
               t.tmax_c >= {HOT_DAY_C} AS hot_day
        FROM {_src(run, tables.CITY_DAILY)} t JOIN {_src(run, tables.CITIES)} c USING (insee_code)
        WHERE c.metropolitan_population BETWEEN {METRO_MIN_POPULATION} AND {METRO_MAX_POPULATION}
        ORDER BY t.insee_code, t.observation_date"""
    _copy(db, query, tables.METRO_DAILY.path(run.out))
    db.close()


def asset_token(salt: str, asset_id: str) -> str:
    """The disclosed stand-in for a proprietary asset id: a keyed hash, 16 hex digits.

    >>> asset_token("s", "CQA-00000001") == asset_token("s", "CQA-00000001")
    True
    >>> len(asset_token("s", "CQA-00000001"))
    16
    """
    return hashlib.blake2b(asset_id.encode(), key=salt.encode(), digest_size=8).hexdigest()


def write_disclosures(run: Run) -> None:
    """Disclosure reporting: per-company aggregates and per-asset rows with obfuscated ids."""
    db = connect()
    joined = f"""
        SELECT a.*, e.exposed, e.risk_level, e.expected_annual_loss_usd, e.assessed_on
        FROM {_src(run, tables.ASSETS)} a
        JOIN {_src(run, tables.EXPOSURE)} e USING (asset_id)"""
    companies = f"""
        SELECT company_lei, any_value(company_name) AS company_name,
               any_value(country_code) AS country_code,
               CAST(year(max(assessed_on)) AS INTEGER) AS reporting_year,
               CASE any_value(country_code) WHEN 'FR' THEN 'ESRS E1' ELSE 'IFRS S2' END
                   AS reporting_framework,
               CAST(count(*) AS INTEGER) AS assets_total,
               CAST(count(*) FILTER (WHERE exposed) AS INTEGER) AS assets_exposed,
               CAST(count(*) FILTER (WHERE risk_level IN ('high', 'severe')) AS INTEGER)
                   AS high_risk_assets,
               round(sum(replacement_value_usd), 2) AS total_value_usd,
               round(coalesce(sum(replacement_value_usd) FILTER (WHERE exposed), 0), 2)
                   AS exposed_value_usd,
               round(sum(expected_annual_loss_usd), 2) AS expected_annual_loss_usd,
               round(100.0 * count(*) FILTER (WHERE risk_level IN ('high', 'severe'))
                     / count(*), 2) AS high_risk_share_pct,
               max(assessed_on) AS as_of_date
        FROM ({joined})
        GROUP BY company_lei
        ORDER BY company_lei"""
    _copy(db, companies, tables.COMPANY_DISCLOSURES.path(run.out))
    # The token and the coarser cell are computed here, row by row, as the rows stream.
    salt = f"disclosure-{run.seed}"  # the key stays with the disclosure team; here, the seed
    assets = f"""
        SELECT asset_id, company_lei, CAST(year(assessed_on) AS INTEGER), asset_type, h3_cell,
               risk_level,
               CASE WHEN replacement_value_usd < 1e7 THEN 'under 10M'
                    WHEN replacement_value_usd < 1e8 THEN '10M-100M'
                    WHEN replacement_value_usd < 1e9 THEN '100M-1B'
                    ELSE '1B and over' END,
               assessed_on
        FROM ({joined})
        ORDER BY company_lei, asset_id"""
    cursor = db.execute(assets)
    with run.sink(tables.ASSET_DISCLOSURES, tables.ASSET_DISCLOSURES_SCHEMA) as sink:
        while batch := cursor.fetchmany(run.batch_rows):
            for asset_id, lei, year, kind, key, risk, band, as_of in batch:
                coarse = str(h3.cell_to_parent(key, DISCLOSURE_H3_RESOLUTION))
                sink.add((asset_token(salt, asset_id), lei, year, kind, coarse, risk, band, as_of))
    db.close()
