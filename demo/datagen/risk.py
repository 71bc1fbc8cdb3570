"""The physical-risk product: company assets and their exposure to the flood product's areas.

Assets come from the owners' inventories (proprietary): each is placed near one of its
company's places, in or next to a flood-prone cell. Exposure is then computed from the
flood product's own rows, read from its file: an asset whose H3 cell is a flood-prone
area takes that area's flood type, return period, hazard and depth; a depth-damage curve
and the asset's vulnerability give the expected damage and the expected annual loss.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import h3
import pyarrow.csv as pa_csv

from demo.datagen import tables
from demo.datagen.places import COMPANIES, Company, lei
from demo.datagen.run import Run, cell

ASSETS_PER_SCALE = 1500
DEPTH_SCALE_M = 1.2  # depth at which about 63 % of the vulnerable value is lost
FOCUS_SHARE = 0.6  # share of a company's assets of its focus type


@dataclass(frozen=True)
class Kind:
    """An asset subtype: how vulnerable to flooding, and its range of replacement values."""

    asset_type: str
    subtype: str
    vulnerability: float
    min_value_usd: float
    max_value_usd: float


KINDS: tuple[Kind, ...] = (
    Kind("building", "office", 0.35, 5e6, 120e6),
    Kind("building", "warehouse", 0.45, 2e6, 40e6),
    Kind("building", "residential_block", 0.50, 3e6, 60e6),
    Kind("building", "hospital", 0.40, 50e6, 400e6),
    Kind("building", "data_center", 0.60, 20e6, 300e6),
    Kind("transport", "rail_station", 0.45, 5e6, 80e6),
    Kind("transport", "bridge", 0.30, 10e6, 250e6),
    Kind("transport", "port_terminal", 0.55, 30e6, 500e6),
    Kind("transport", "highway_segment", 0.30, 5e6, 60e6),
    Kind("transport", "airport_facility", 0.40, 20e6, 200e6),
    Kind("energy", "substation", 0.70, 2e6, 30e6),
    Kind("energy", "power_plant", 0.50, 100e6, 1500e6),
    Kind("energy", "solar_farm", 0.55, 10e6, 150e6),
    Kind("energy", "wind_farm", 0.20, 30e6, 400e6),
    Kind("energy", "fuel_depot", 0.50, 5e6, 80e6),
)


@dataclass(frozen=True)
class FloodArea:
    """The flood product's facts about one cell, as physical risk uses them."""

    flood_type: str
    return_period_years: int
    hazard_score: float
    max_water_depth_m: float


def read_flood_areas(path: Path) -> tuple[dict[str, FloodArea], dict[str, list[str]]]:
    """The flood product's rows: facts by cell, and the cells of each place (sorted)."""
    options = pa_csv.ConvertOptions(column_types=tables.FLOOD_AREAS_SCHEMA)
    rows = pa_csv.read_csv(path, convert_options=options).to_pylist()
    areas = {
        r["h3_cell"]: FloodArea(
            r["flood_type"], r["return_period_years"], r["hazard_score"], r["max_water_depth_m"]
        )
        for r in rows
    }
    by_place: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        by_place[r["place_name"]].append(r["h3_cell"])
    return areas, {place: sorted(cells) for place, cells in by_place.items()}


def damage_ratio(vulnerability: float, depth_m: float) -> float:
    """Share of the replacement value a flood of ``depth_m`` destroys.

    >>> damage_ratio(0.5, 0.0), round(damage_ratio(0.5, 10.0), 3)
    (0.0, 0.5)
    """
    return vulnerability * (1 - math.exp(-depth_m / DEPTH_SCALE_M))


def risk_level(exposed: bool, ratio: float) -> str:
    """The disclosed risk class of an asset."""
    if not exposed:
        return "none"
    if ratio < 0.05:
        return "low"
    if ratio < 0.15:
        return "medium"
    if ratio < 0.30:
        return "high"
    return "severe"


def _kind(rng: random.Random, company: Company) -> Kind:
    others = [k for k in KINDS if k.asset_type != company.focus]
    focus = [k for k in KINDS if k.asset_type == company.focus]
    return rng.choice(focus if rng.random() < FOCUS_SHARE else others)


def write_physical_risk(run: Run) -> None:
    """``assets`` and ``asset_flood_exposure``, from the flood product's file."""
    areas, cells_by_place = read_flood_areas(tables.FLOOD_AREAS.path(run.out))
    rng = run.rng("physical-risk")
    count = max(len(COMPANIES), round(ASSETS_PER_SCALE * run.scale))
    with (
        run.sink(tables.ASSETS, tables.ASSETS_SCHEMA) as assets,
        run.sink(tables.EXPOSURE, tables.EXPOSURE_SCHEMA) as exposure,
    ):
        for number in range(1, count + 1):
            company = COMPANIES[(number - 1) % len(COMPANIES)]
            kind = _kind(rng, company)
            anchor = rng.choice(cells_by_place[rng.choice(company.places)])
            # A neighbour of a flood-prone cell: most are flood-prone too, some are not.
            near = rng.choice(sorted(h3.grid_disk(anchor, 2)))
            lat, lon = h3.cell_to_latlng(near)
            lat = round(lat + rng.uniform(-1e-3, 1e-3), 6)  # about 100 m: within the cell
            lon = round(lon + rng.uniform(-1e-3, 1e-3), 6)
            key = cell(lat, lon)  # from the final point, whatever the jitter did
            low, high = math.log(kind.min_value_usd), math.log(kind.max_value_usd)
            value = round(math.exp(rng.uniform(low, high)), -3)  # log-uniform, to the $1,000
            recent = kind.subtype in ("solar_farm", "wind_farm", "data_center")
            built = rng.randint(2005, 2024) if recent else rng.randint(1900, 2022)
            asset_id = f"CQA-{number:08d}"
            assets.add((
                asset_id, lei(company.lei_stem), company.name, company.country_code,
                kind.asset_type, kind.subtype, lat, lon, key, value, built,
            ))  # fmt: skip
            condition = rng.uniform(0.8, 1.2)  # the asset's own state around its subtype's curve
            vulnerability = round(min(1.0, max(0.05, kind.vulnerability * condition)), 3)
            area = areas.get(key)
            if area is None:
                exposure.add((asset_id, key, False, None, None, 0.0, 0.0, vulnerability,
                              0.0, 0.0, "none", run.end_date))  # fmt: skip
                continue
            ratio = round(damage_ratio(vulnerability, area.max_water_depth_m), 4)
            loss = round(value * ratio / area.return_period_years, 2)
            exposure.add((
                asset_id, key, True, area.flood_type, area.return_period_years,
                area.hazard_score, area.max_water_depth_m, vulnerability, ratio, loss,
                risk_level(True, ratio), run.end_date,
            ))  # fmt: skip
