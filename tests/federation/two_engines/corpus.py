"""The federated statements both engines must answer identically, written against logical names.

On Trino the products live in different stores (``demo_pg`` for PostgreSQL-only products,
``demo_mariadb`` for products with a MariaDB replica); on DuckDB they are read from their
files. Every statement orders its rows totally, so the row order is part of the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

US = 'precipitation."us-precipitation"'
FR = 'precipitation."france-precipitation"'
GLOBAL = 'precipitation."global-precipitation"'
CITY = 'temperature."city-temperatures"'
METRO = 'temperature."metropolitan-temperatures"'
FLOOD = 'flood."flood-areas"'
RISK = '"physical-risk"."physical-risk"'
DISCLOSURE = '"disclosure-reporting"."disclosure-reporting"'
AIR = '"air-quality"."nyc-air-quality"'


@dataclass(frozen=True)
class Statement:
    """One corpus entry: every entry must give the same answer on both engines."""

    id: str
    sql: str


STATEMENTS: tuple[Statement, ...] = (
    Statement(
        "three-stores-h3-join",  # assets (PG) x flood areas (PG) x global precipitation (MariaDB)
        f"""SELECT a.company_name, f.flood_type, count(*) AS days,
                   round(sum(g.precipitation_mm), 3) AS rain_mm
            FROM {RISK}.assets a
            JOIN {FLOOD}.flood_prone_areas f ON f.h3_cell = a.h3_cell
            JOIN {GLOBAL}.global_daily_precipitation g ON g.h3_cell = a.h3_cell
            GROUP BY a.company_name, f.flood_type
            ORDER BY a.company_name, f.flood_type""",
    ),
    Statement(
        "four-products-disclosure-exposure",  # MariaDB x PG x PG x PG
        f"""SELECT d.company_name, d.reporting_year, count(DISTINCT a.asset_id) AS assets,
                   count(DISTINCT f.h3_cell) AS flood_cells,
                   round(sum(e.expected_annual_loss_usd), 2) AS loss_usd
            FROM {DISCLOSURE}.company_flood_disclosures d
            JOIN {RISK}.assets a ON a.company_lei = d.company_lei
            JOIN {RISK}.asset_flood_exposure e ON e.asset_id = a.asset_id
            LEFT JOIN {FLOOD}.flood_prone_areas f ON f.h3_cell = a.h3_cell
            GROUP BY d.company_name, d.reporting_year
            ORDER BY d.company_name, d.reporting_year""",
    ),
    Statement(
        "unit-conversion-us-inches-to-mm",
        f"""SELECT us.observation_date,
                   round(avg(us.precipitation_in * 25.4), 4) AS us_mm,
                   round(avg(fr.precipitation_mm), 4) AS fr_mm,
                   round(avg(us.precipitation_in * 25.4) - avg(fr.precipitation_mm), 4) AS diff_mm
            FROM {US}.us_daily_precipitation us
            JOIN {FR}.fr_daily_precipitation fr ON fr.observation_date = us.observation_date
            GROUP BY us.observation_date
            ORDER BY us.observation_date""",
    ),
    Statement(
        "unit-conversion-fr-mm-to-inches-monthly",
        f"""WITH fr AS (
                SELECT date_trunc('month', observation_date) AS month,
                       sum(precipitation_mm) / 25.4 AS fr_in
                FROM {FR}.fr_daily_precipitation GROUP BY 1),
            us AS (
                SELECT date_trunc('month', observation_date) AS month,
                       sum(precipitation_in) AS us_in
                FROM {US}.us_daily_precipitation GROUP BY 1)
            SELECT CAST(fr.month AS DATE) AS month, round(fr.fr_in, 3) AS fr_in,
                   round(us.us_in, 3) AS us_in,
                   CASE WHEN fr.fr_in > us.us_in THEN 'france' ELSE 'us' END AS wetter
            FROM fr JOIN us ON us.month = fr.month
            ORDER BY month""",
    ),
    Statement(
        "union-all-both-countries-in-mm",
        f"""SELECT 'US' AS country, h3_cell, round(sum(precipitation_in * 25.4), 3) AS total_mm
            FROM {US}.us_daily_precipitation GROUP BY h3_cell
            UNION ALL
            SELECT 'FR', h3_cell, round(sum(precipitation_mm), 3)
            FROM {FR}.fr_daily_precipitation GROUP BY h3_cell
            ORDER BY country, h3_cell""",
    ),
    Statement(
        "union-all-char-column-from-postgres",  # fr char(8): read unpadded
        f"""SELECT 'US' AS country, station_id, round(sum(precipitation_in * 25.4), 3) AS total_mm
            FROM {US}.us_daily_precipitation GROUP BY station_id
            UNION ALL
            SELECT 'FR', station_id, round(sum(precipitation_mm), 3)
            FROM {FR}.fr_daily_precipitation GROUP BY station_id
            ORDER BY country, station_id""",
    ),
    Statement(
        "global-v2-reported-units-vs-mm",
        f"""SELECT country_code, reported_unit, count(*) AS n,
                   round(sum(CASE WHEN reported_unit = 'in' THEN reported_value * 25.4
                                  ELSE reported_value END - precipitation_mm), 6) AS residual
            FROM {GLOBAL}.global_daily_precipitation
            GROUP BY country_code, reported_unit
            ORDER BY country_code, reported_unit""",
    ),
    Statement(
        "station-h3-join-us",
        f"""SELECT s.state_code, s.station_id, count(*) AS days,
                   round(max(p.precipitation_in), 3) AS wettest_in
            FROM {US}.us_stations s
            JOIN {US}.us_daily_precipitation p ON p.h3_cell = s.h3_cell
            GROUP BY s.state_code, s.station_id
            ORDER BY s.state_code, s.station_id""",
    ),
    Statement(
        "h3-join-fr-stations-to-global",  # PG x MariaDB on H3 cells
        f"""SELECT st.station_name, g.source_product, count(*) AS days,
                   round(sum(g.precipitation_mm), 3) AS rain_mm
            FROM {FR}.fr_stations st
            JOIN {GLOBAL}.global_daily_precipitation g ON g.h3_cell = st.h3_cell
            GROUP BY st.station_name, g.source_product
            ORDER BY st.station_name, g.source_product""",
    ),
    Statement(
        "h3-join-city-and-metro-temperatures-per-day",  # PG x PG x MariaDB
        f"""SELECT c.metropolitan_area, count(*) AS days,
                   round(avg(t.tmean_c - m.tmean_c), 4) AS city_minus_metro_c,
                   max(c.population) AS population
            FROM {CITY}.cities c
            JOIN {CITY}.city_daily_temperatures t ON t.insee_code = c.insee_code
            JOIN {METRO}.metropolitan_daily_temperatures m
              ON m.h3_cell = c.h3_cell AND m.observation_date = t.observation_date
            GROUP BY c.metropolitan_area
            ORDER BY c.metropolitan_area""",
    ),
    Statement(
        "rank-wettest-stations",
        f"""SELECT station_id, total_mm,
                   rank() OVER (ORDER BY total_mm DESC, station_id) AS rnk,
                   dense_rank() OVER (ORDER BY round(total_mm, -1) DESC) AS band
            FROM (SELECT station_id, round(sum(precipitation_mm), 3) AS total_mm
                  FROM {FR}.fr_daily_precipitation GROUP BY station_id) t
            ORDER BY rnk, station_id""",
    ),
    Statement(
        "row-number-top-day-per-station",
        f"""SELECT station_id, observation_date, precipitation_in
            FROM (SELECT station_id, observation_date, precipitation_in,
                         row_number() OVER (PARTITION BY station_id
                                            ORDER BY precipitation_in DESC, observation_date) AS rn
                  FROM {US}.us_daily_precipitation) t
            WHERE rn = 1
            ORDER BY station_id""",
    ),
    Statement(
        "moving-average-rows-frame",
        f"""SELECT insee_code, observation_date,
                   round(avg(tmean_c) OVER (PARTITION BY insee_code ORDER BY observation_date
                         ROWS BETWEEN 6 PRECEDING AND CURRENT ROW), 4) AS tmean_7d,
                   round(sum(tmax_c) OVER (PARTITION BY insee_code ORDER BY observation_date
                         ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), 4) AS tmax_3d_sum
            FROM {CITY}.city_daily_temperatures
            WHERE date_diff('day', observation_date, (SELECT max(observation_date)
                  FROM {CITY}.city_daily_temperatures)) < 30
            ORDER BY insee_code, observation_date""",
    ),
    Statement(
        "lag-lead-day-over-day",
        f"""SELECT metropolitan_area, observation_date, tmax_c,
                   round(tmax_c - lag(tmax_c) OVER w, 4) AS delta_prev,
                   lead(observation_date, 1) OVER w AS next_date,
                   lag(tmax_c, 2, 0.0) OVER w AS two_back
            FROM {METRO}.metropolitan_daily_temperatures
            WHERE date_diff('day', (SELECT min(observation_date)
                  FROM {METRO}.metropolitan_daily_temperatures), observation_date) < 31
            WINDOW w AS (PARTITION BY metropolitan_area ORDER BY observation_date)
            ORDER BY metropolitan_area, observation_date""",
    ),
    Statement(
        "running-total-range-frame-and-first-value",
        f"""SELECT country_code, reporting_year, company_name,
                   round(sum(exposed_value_usd) OVER (PARTITION BY country_code
                         ORDER BY company_name ROWS BETWEEN UNBOUNDED PRECEDING
                         AND CURRENT ROW), 2) AS running_exposed,
                   first_value(company_name) OVER (PARTITION BY country_code
                         ORDER BY high_risk_share_pct DESC, company_name) AS riskiest,
                   ntile(2) OVER (ORDER BY total_value_usd, company_name) AS half
            FROM {DISCLOSURE}.company_flood_disclosures
            ORDER BY country_code, company_name, reporting_year""",
    ),
    Statement(
        "having-and-count-distinct",
        f"""SELECT asset_type, country_code, count(DISTINCT company_lei) AS companies,
                   count(*) AS assets, round(avg(replacement_value_usd), 2) AS avg_value
            FROM {RISK}.assets
            GROUP BY asset_type, country_code
            HAVING count(*) >= 5
            ORDER BY asset_type, country_code""",
    ),
    Statement(
        "distinct-risk-levels-across-products",
        f"""SELECT DISTINCT e.risk_level, d.risk_level AS disclosed_level
            FROM {RISK}.asset_flood_exposure e
            JOIN {RISK}.assets a ON a.asset_id = e.asset_id
            JOIN {DISCLOSURE}.asset_disclosures d ON d.company_lei = a.company_lei
                 AND d.asset_type = a.asset_type
            ORDER BY e.risk_level, disclosed_level""",
    ),
    Statement(
        "in-subquery-and-exists",
        f"""SELECT a.asset_id, a.company_name, a.h3_cell
            FROM {RISK}.assets a
            WHERE a.h3_cell IN (SELECT h3_cell FROM {FLOOD}.flood_prone_areas
                                WHERE return_period_years <= 100)
              AND EXISTS (SELECT 1 FROM {GLOBAL}.global_daily_precipitation g
                          WHERE g.h3_cell = a.h3_cell)
            ORDER BY a.asset_id""",
    ),
    Statement(
        "scalar-subquery-above-average",
        f"""SELECT station_id, round(sum(precipitation_in), 3) AS total_in
            FROM {US}.us_daily_precipitation
            GROUP BY station_id
            HAVING sum(precipitation_in) > (
                SELECT sum(precipitation_in) / count(DISTINCT station_id)
                FROM {US}.us_daily_precipitation)
            ORDER BY station_id""",
    ),
    Statement(
        "case-buckets-and-coalesce",
        f"""SELECT CASE WHEN precipitation_mm = 0 THEN 'dry'
                        WHEN precipitation_mm < 5 THEN 'light'
                        WHEN precipitation_mm < 20 THEN 'moderate'
                        ELSE 'heavy' END AS bucket,
                   coalesce(CAST(quality_code AS VARCHAR), 'none') AS quality,
                   count(*) AS days
            FROM {FR}.fr_daily_precipitation
            GROUP BY 1, 2
            ORDER BY bucket, quality""",
    ),
    Statement(
        "date-parts-and-arithmetic",
        f"""SELECT year(observation_date) AS y, quarter(observation_date) AS q,
                   month(observation_date) AS m,
                   max(date_diff('day', DATE '2024-01-01', observation_date)) AS max_days_in,
                   count(*) AS n
            FROM {US}.us_daily_precipitation
            GROUP BY 1, 2, 3
            ORDER BY y, q, m""",
    ),
    Statement(
        "date-plus-interval-stays-a-date",  # a DATE on both
        f"""SELECT station_id, min(observation_date + INTERVAL '7' DAY) AS first_plus_week
            FROM {US}.us_daily_precipitation
            GROUP BY station_id
            ORDER BY station_id""",
    ),
    Statement(
        "date-trunc-week-fr",
        f"""SELECT CAST(date_trunc('week', observation_date) AS DATE) AS week,
                   count(DISTINCT station_id) AS stations,
                   round(sum(precipitation_mm), 3) AS total_mm
            FROM {FR}.fr_daily_precipitation
            GROUP BY 1
            ORDER BY week""",
    ),
    Statement(
        "integer-division-and-modulo",  # truncates on both
        f"""SELECT year_built / 10 * 10 AS decade, year_built % 10 AS digit, count(*) AS n
            FROM {RISK}.assets
            GROUP BY 1, 2
            ORDER BY decade, digit""",
    ),
    Statement(
        "string-functions-air-quality",
        f"""SELECT upper(substring("GeoTypeName", 1, 4)) AS geo, length("Name") AS name_len,
                   count(*) AS n, round(avg("DataValue"), 4) AS mean_value
            FROM {AIR}.air_quality
            WHERE "Name" LIKE '%Ozone%' OR lower("Name") LIKE '%fine particles%'
            GROUP BY 1, 2
            ORDER BY geo, name_len""",
    ),
    Statement(
        "null-ordering-left-join",
        f"""SELECT a.asset_id, f.flood_type
            FROM {RISK}.assets a
            LEFT JOIN {FLOOD}.flood_prone_areas f ON f.h3_cell = a.h3_cell
            WHERE a.asset_id < 'CQA-00000200'
            ORDER BY f.flood_type, a.asset_id""",
    ),
    Statement(
        "boolean-column-from-mariadb",  # MariaDB tinyint(1)
        f"""SELECT metropolitan_area, count_if(hot_day) AS hot_days, count(*) AS days
            FROM {METRO}.metropolitan_daily_temperatures
            GROUP BY metropolitan_area
            ORDER BY metropolitan_area""",
    ),
    Statement(
        "integer-modulo-and-whole-decades",
        f"""SELECT year_built - year_built % 10 AS decade, count(*) AS n,
                   min(year_built) AS first_year
            FROM {RISK}.assets
            GROUP BY 1
            ORDER BY decade""",
    ),
    Statement(
        "null-ordering-desc",
        f"""SELECT a.asset_id, f.flood_type
            FROM {RISK}.assets a
            LEFT JOIN {FLOOD}.flood_prone_areas f ON f.h3_cell = a.h3_cell
            WHERE a.asset_id < 'CQA-00000200'
            ORDER BY f.flood_type DESC, a.asset_id""",
    ),
    Statement(
        "calendar-parts-dow-doy-week",
        f"""SELECT day_of_week(observation_date) AS dow, week(observation_date) AS wk,
                   count(*) AS n, round(sum(snowfall_in), 3) AS snow_in
            FROM {US}.us_daily_precipitation
            GROUP BY 1, 2
            ORDER BY dow, wk""",
    ),
    Statement(
        "string-concat-and-percent-rank",
        f"""SELECT station_id || '-' || h3_cell AS station_key, state_code,
                   percent_rank() OVER (ORDER BY elevation_m, station_id) AS elevation_rank,
                   cume_dist() OVER (PARTITION BY state_code ORDER BY elevation_m, station_id)
                     AS in_state
            FROM {US}.us_stations
            ORDER BY station_key""",
    ),
    Statement(
        "integer-aggregates-and-decimal-cast",
        f"""SELECT a.country_code, avg(a.year_built) AS mean_year, sum(a.year_built) AS year_sum,
                   CAST(sum(e.expected_annual_loss_usd) AS DECIMAL(18, 2)) AS loss_usd
            FROM {RISK}.assets a
            JOIN {RISK}.asset_flood_exposure e ON e.asset_id = a.asset_id
            GROUP BY a.country_code
            ORDER BY a.country_code""",
    ),
    Statement(
        "timestamp-trunc-hour-from-postgres",
        f"""SELECT date_trunc('hour', ingested_at) AS hour, count(*) AS n
            FROM {FR}.fr_daily_precipitation
            GROUP BY 1
            ORDER BY hour""",
    ),
    Statement(
        "timestamp-trunc-hour-from-mariadb",  # zoneless: UTC
        f"""SELECT date_trunc('hour', ingested_at) AS hour, count(*) AS n
            FROM {US}.us_daily_precipitation
            GROUP BY 1
            ORDER BY hour""",
    ),
)
