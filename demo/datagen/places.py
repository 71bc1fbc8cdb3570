"""Reference data of the demo mesh (``reference/*.csv``): real stations and cities.

Station identifiers, names and coordinates are those of NOAA GHCN-Daily first-order
stations and of Météo-France synoptic stations; city codes are INSEE commune codes;
populations are INSEE legal populations (2021), rounded. Climate figures (annual
precipitation, wet-day frequency, temperature normals) are approximate 1991-2020 normals
that drive the synthetic series; they are not measurements. Companies are fictitious.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar, get_type_hints


@dataclass(frozen=True)
class Station:
    """A precipitation station and the climate its synthetic series follows.

    ``annual`` is the mean yearly total (inches in the US, mm in France), ``wet_share``
    the share of wet days, ``seasonality`` how much wetter the wettest month is than the
    mean (0 = none, 0.9 = a dry summer climate), ``wettest_month`` 1-12.
    """

    station_id: str
    name: str
    region: str  # US state code or French département code
    latitude: float
    longitude: float
    elevation_m: float
    annual: float
    wet_share: float
    seasonality: float
    wettest_month: int
    snowy: bool = False


@dataclass(frozen=True)
class FloodProfile:
    """How flood-prone the surroundings of a place are, and by what kind of flood."""

    place: str
    country_code: str
    station_id: str  # the station the place is centred on
    flood_type: str  # coastal | riverine | pluvial
    base_hazard: float  # 0..1 at the centre


@dataclass(frozen=True)
class City:
    """A French city with its metropolitan area and its temperature normals (°C)."""

    insee_code: str
    name: str
    department_code: str
    latitude: float
    longitude: float
    population: int
    metropolitan_area: str
    metropolitan_population: int
    mean_c: float  # annual mean temperature
    half_range_c: float  # (July mean - January mean) / 2
    diurnal_range_c: float  # mean tmax - tmin


@dataclass(frozen=True)
class Company:
    """An asset owner that discloses its physical risk (fictitious)."""

    lei_stem: str  # 18 characters; the two check digits are computed (ISO 17442)
    name: str
    country_code: str
    focus: str  # the asset type most of its assets are: building | transport | energy
    places: tuple[str, ...]  # FloodProfile.place values where its assets are


REFERENCE = Path(__file__).resolve().parent / "reference"

T = TypeVar("T")


def read_reference(name: str, kind: type[T]) -> tuple[T, ...]:
    """Rows of ``reference/<name>.csv`` as ``kind`` instances, typed by its dataclass fields.

    Lists (``;``-separated) become tuples; ``yes`` / ``no`` become booleans.
    """
    hints = get_type_hints(kind)
    rows = []
    with (REFERENCE / f"{name}.csv").open(encoding="utf-8", newline="") as file:
        for record in csv.DictReader(file):
            values: dict[str, Any] = {}
            for field in fields(kind):  # type: ignore[arg-type]
                text, hint = record[field.name], hints[field.name]
                if hint is bool:
                    values[field.name] = text == "yes"
                elif hint in (int, float):
                    values[field.name] = hint(text)
                elif hint == tuple[str, ...]:
                    values[field.name] = tuple(text.split(";"))
                else:
                    values[field.name] = text
            rows.append(kind(**values))
    return tuple(rows)


US_STATIONS = read_reference("us_stations", Station)
FR_STATIONS = read_reference("fr_stations", Station)
FLOOD_PROFILES = read_reference("flood_places", FloodProfile)
CITIES = read_reference("fr_cities", City)
COMPANIES = read_reference("companies", Company)

#: Metropolitan temperatures keep the cities whose metropolitan area has this many people.
METRO_MIN_POPULATION = 500_000
METRO_MAX_POPULATION = 1_500_000


def lei(stem: str) -> str:
    """A Legal Entity Identifier: ``stem`` plus its ISO 17442 (mod 97-10) check digits.

    >>> code = lei("5493001KJTIIGC8Y1R")
    >>> code, int("".join(str(int(ch, 36)) for ch in code)) % 97  # 1 means valid
    ('5493001KJTIIGC8Y1R12', 1)
    """
    digits = "".join(str(int(ch, 36)) for ch in stem + "00")
    return f"{stem}{98 - int(digits) % 97:02d}"
