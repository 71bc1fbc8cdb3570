"""Where each demo table is written, and its Arrow schema (the contract's columns).

Paths follow the contracts' ``local`` servers: ``<out>/<product slug>/<table>.<format>``,
with ``<out>`` = ``demo/data`` by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

H3_RESOLUTION = 7  # the mesh's shared geographic key: H3 cells of about 5 km²

_UTC = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class TableFile:
    """A table's file, relative to the output folder."""

    slug: str
    table: str
    format: str = "parquet"

    def path(self, out: Path) -> Path:
        """The file under output folder ``out``."""
        return out / self.slug / f"{self.table}.{self.format}"


US_STATIONS = TableFile("us-precipitation", "us_stations")
US_DAILY = TableFile("us-precipitation", "us_daily_precipitation")
FR_STATIONS = TableFile("france-precipitation", "fr_stations")
FR_DAILY = TableFile("france-precipitation", "fr_daily_precipitation")
GLOBAL_V1 = TableFile("global-precipitation", "global_daily_precipitation_v1")
GLOBAL_V2 = TableFile("global-precipitation", "global_daily_precipitation")
CITIES = TableFile("city-temperatures", "cities")
CITY_DAILY = TableFile("city-temperatures", "city_daily_temperatures")
METRO_DAILY = TableFile("metropolitan-temperatures", "metropolitan_daily_temperatures")
FLOOD_AREAS = TableFile("flood-areas", "flood_prone_areas", "csv")
ASSETS = TableFile("physical-risk", "assets")
EXPOSURE = TableFile("physical-risk", "asset_flood_exposure")
COMPANY_DISCLOSURES = TableFile("disclosure-reporting", "company_flood_disclosures")
ASSET_DISCLOSURES = TableFile("disclosure-reporting", "asset_disclosures")
AIR_QUALITY = TableFile("nyc-air-quality", "air_quality", "csv")

ALL_TABLES: tuple[TableFile, ...] = (
    US_STATIONS, US_DAILY, FR_STATIONS, FR_DAILY, GLOBAL_V1, GLOBAL_V2, CITIES, CITY_DAILY,
    METRO_DAILY, FLOOD_AREAS, ASSETS, EXPOSURE, COMPANY_DISCLOSURES, ASSET_DISCLOSURES,
    AIR_QUALITY,
)  # fmt: skip

US_STATIONS_SCHEMA = pa.schema([
    ("station_id", pa.string()), ("station_name", pa.string()), ("state_code", pa.string()),
    ("latitude", pa.float64()), ("longitude", pa.float64()), ("elevation_m", pa.float64()),
    ("h3_cell", pa.string()),
])  # fmt: skip

US_DAILY_SCHEMA = pa.schema([
    ("station_id", pa.string()), ("observation_date", pa.date32()), ("h3_cell", pa.string()),
    ("precipitation_in", pa.float64()), ("snowfall_in", pa.float64()), ("ingested_at", _UTC),
])  # fmt: skip

FR_STATIONS_SCHEMA = pa.schema([
    ("station_id", pa.string()), ("station_name", pa.string()),
    ("department_code", pa.string()), ("latitude", pa.float64()), ("longitude", pa.float64()),
    ("altitude_m", pa.float64()), ("h3_cell", pa.string()),
])  # fmt: skip

FR_DAILY_SCHEMA = pa.schema([
    ("station_id", pa.string()), ("observation_date", pa.date32()), ("h3_cell", pa.string()),
    ("precipitation_mm", pa.float64()), ("quality_code", pa.int32()), ("ingested_at", _UTC),
])  # fmt: skip

CITIES_SCHEMA = pa.schema([
    ("insee_code", pa.string()), ("city_name", pa.string()), ("department_code", pa.string()),
    ("latitude", pa.float64()), ("longitude", pa.float64()), ("h3_cell", pa.string()),
    ("population", pa.int32()), ("metropolitan_area", pa.string()),
    ("metropolitan_population", pa.int32()),
])  # fmt: skip

CITY_DAILY_SCHEMA = pa.schema([
    ("insee_code", pa.string()), ("observation_date", pa.date32()), ("h3_cell", pa.string()),
    ("tmin_c", pa.float64()), ("tmax_c", pa.float64()), ("tmean_c", pa.float64()),
])  # fmt: skip

FLOOD_AREAS_SCHEMA = pa.schema([
    ("h3_cell", pa.string()), ("country_code", pa.string()), ("place_name", pa.string()),
    ("latitude", pa.float64()), ("longitude", pa.float64()), ("flood_type", pa.string()),
    ("return_period_years", pa.int32()), ("hazard_score", pa.float64()),
    ("max_water_depth_m", pa.float64()), ("evidence_sources", pa.string()),
    ("assessed_on", pa.date32()),
])  # fmt: skip

ASSETS_SCHEMA = pa.schema([
    ("asset_id", pa.string()), ("company_lei", pa.string()), ("company_name", pa.string()),
    ("country_code", pa.string()), ("asset_type", pa.string()), ("asset_subtype", pa.string()),
    ("latitude", pa.float64()), ("longitude", pa.float64()), ("h3_cell", pa.string()),
    ("replacement_value_usd", pa.float64()), ("year_built", pa.int32()),
])  # fmt: skip

EXPOSURE_SCHEMA = pa.schema([
    ("asset_id", pa.string()), ("h3_cell", pa.string()), ("exposed", pa.bool_()),
    ("flood_type", pa.string()), ("return_period_years", pa.int32()),
    ("hazard_score", pa.float64()), ("water_depth_m", pa.float64()),
    ("vulnerability", pa.float64()), ("expected_damage_ratio", pa.float64()),
    ("expected_annual_loss_usd", pa.float64()), ("risk_level", pa.string()),
    ("assessed_on", pa.date32()),
])  # fmt: skip

AIR_QUALITY_SCHEMA = pa.schema([
    ("UniqueID", pa.int64()), ("IndicatorID", pa.int32()), ("Name", pa.string()),
    ("Measure", pa.string()), ("MeasureInfo", pa.string()), ("GeoTypeName", pa.string()),
    ("GeoJoinID", pa.int32()), ("GeoPlaceName", pa.string()), ("TimePeriod", pa.string()),
    ("StartDate", pa.date32()), ("DataValue", pa.float64()), ("Message", pa.string()),
])  # fmt: skip

ASSET_DISCLOSURES_SCHEMA = pa.schema([
    ("asset_token", pa.string()), ("company_lei", pa.string()), ("reporting_year", pa.int32()),
    ("asset_type", pa.string()), ("h3_cell_res5", pa.string()), ("risk_level", pa.string()),
    ("value_band", pa.string()), ("as_of_date", pa.date32()),
])  # fmt: skip

GLOBAL_V1_SCHEMA = pa.schema([
    ("station_key", pa.string()), ("observation_date", pa.date32()), ("h3_cell", pa.string()),
    ("precipitation_mm", pa.float64()), ("source_product", pa.string()),
])  # fmt: skip

GLOBAL_V2_SCHEMA = pa.schema([
    ("country_code", pa.string()), ("station_id", pa.string()), ("station_name", pa.string()),
    ("observation_date", pa.date32()), ("h3_cell", pa.string()),
    ("precipitation_mm", pa.float64()), ("reported_value", pa.float64()),
    ("reported_unit", pa.string()), ("source_product", pa.string()),
])  # fmt: skip

METRO_DAILY_SCHEMA = pa.schema([
    ("metropolitan_area", pa.string()), ("insee_code", pa.string()), ("city_name", pa.string()),
    ("observation_date", pa.date32()), ("h3_cell", pa.string()),
    ("metropolitan_population", pa.int32()), ("tmin_c", pa.float64()), ("tmax_c", pa.float64()),
    ("tmean_c", pa.float64()), ("diurnal_range_c", pa.float64()), ("hot_day", pa.bool_()),
])  # fmt: skip

COMPANY_DISCLOSURES_SCHEMA = pa.schema([
    ("company_lei", pa.string()), ("company_name", pa.string()), ("country_code", pa.string()),
    ("reporting_year", pa.int32()), ("reporting_framework", pa.string()),
    ("assets_total", pa.int32()), ("assets_exposed", pa.int32()),
    ("high_risk_assets", pa.int32()), ("total_value_usd", pa.float64()),
    ("exposed_value_usd", pa.float64()), ("expected_annual_loss_usd", pa.float64()),
    ("high_risk_share_pct", pa.float64()), ("as_of_date", pa.date32()),
])  # fmt: skip
