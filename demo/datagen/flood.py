"""The source-aligned flood product: flood-prone areas, one row per H3 cell.

Around each place of ``FLOOD_PROFILES`` the cells of a disk are kept with a chance that
falls with distance from the centre; a kept cell's hazard falls likewise. The disk grows
with the scale (its cell count is about proportional to the scale). Where disks of two
places overlap, the first place keeps the cell.
"""

from __future__ import annotations

import math
from datetime import timedelta

import h3

from demo.datagen import tables
from demo.datagen.places import FLOOD_PROFILES, FR_STATIONS, US_STATIONS
from demo.datagen.run import Run

BASE_RADIUS = 3  # H3 rings at scale 1
EVIDENCE = {
    "coastal": ("tide_gauge", "sentinel-1_sar", "lidar_dem"),
    "riverine": ("river_gauge", "sentinel-1_sar", "lidar_dem"),
    "pluvial": ("rain_gauge", "storm_sewer_model", "lidar_dem"),
}
DEPTH_M = {"coastal": 3.5, "riverine": 4.0, "pluvial": 0.8}  # deepest water at hazard 1
REFRESH_DAYS = 28  # areas are reassessed in a rolling four-week cycle


def radius(scale: float) -> int:
    """Rings around each place: the cell count of a disk grows as the radius squared."""
    return max(1, round(BASE_RADIUS * math.sqrt(scale)))


def return_period(hazard: float) -> int:
    """The return period (years) of the flood that reaches a cell of this hazard."""
    if hazard >= 0.6:
        return 10
    if hazard >= 0.35:
        return 50
    if hazard >= 0.15:
        return 100
    return 500


def write_flood_areas(run: Run) -> None:
    """``flood_prone_areas`` (CSV)."""
    stations = {s.station_id: s for s in (*US_STATIONS, *FR_STATIONS)}
    rings = radius(run.scale)
    seen: set[str] = set()
    with run.sink(tables.FLOOD_AREAS, tables.FLOOD_AREAS_SCHEMA) as sink:
        for place in FLOOD_PROFILES:
            rng = run.rng("flood-areas", place.place)
            station = stations[place.station_id]
            centre = h3.latlng_to_cell(station.latitude, station.longitude, tables.H3_RESOLUTION)
            for key in sorted(h3.grid_disk(centre, rings)):
                distance = h3.grid_distance(centre, key)
                closeness = math.exp(-distance / max(1.0, rings * 0.6))
                if key in seen or rng.random() > 0.3 + 0.6 * closeness:
                    continue
                seen.add(key)
                hazard = round(min(1.0, place.base_hazard * closeness * rng.uniform(0.6, 1.3)), 3)
                hazard = max(hazard, 0.01)
                depth = round(DEPTH_M[place.flood_type] * hazard * rng.uniform(0.7, 1.2), 2)
                lat, lon = h3.cell_to_latlng(key)
                sources = [s for s in EVIDENCE[place.flood_type] if rng.random() < 0.8]
                assessed = run.end_date - timedelta(days=rng.randrange(REFRESH_DAYS))
                sink.add((
                    key, place.country_code, place.place, round(lat, 6), round(lon, 6),
                    place.flood_type, return_period(hazard), hazard, max(depth, 0.01),
                    ";".join(sources or EVIDENCE[place.flood_type][:1]), assessed,
                ))  # fmt: skip
