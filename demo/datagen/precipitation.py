"""The two source-aligned precipitation products: NOAA stations (inches), Météo-France (mm).

Each station's daily series is a two-state Markov chain (wet days cluster) with gamma
distributed wet-day amounts, both modulated by the station's seasonal cycle, so yearly
totals and their seasons follow the station's climate normals.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import date, timedelta

from demo.datagen import tables
from demo.datagen.places import FR_STATIONS, US_STATIONS, Station
from demo.datagen.run import Run, at_utc, cell

PERSISTENCE = 0.3  # how much more likely a wet day follows a wet day (keeps the wet share)
GAMMA_SHAPE = 0.8  # wet-day amounts: many light days, a few heavy ones
SNOW_MONTHS = {11: 0.2, 12: 0.5, 1: 0.6, 2: 0.55, 3: 0.35}  # share of wet days that snow
PROVISIONAL_DAYS = 30  # Météo-France validates data about a month after it is measured


def seasonal_weight(station: Station, day: date) -> float:
    """How much wetter than average ``day`` is at ``station`` (mean 1 over a year)."""
    month = (day.timetuple().tm_yday - 0.5) / 365.25 * 12 + 0.5  # fractional month, 0.5..12.5
    return 1.0 + station.seasonality * math.cos(2 * math.pi * (month - station.wettest_month) / 12)


def daily_amounts(rng: random.Random, station: Station, days: list[date]) -> Iterator[float]:
    """Unrounded daily precipitation at ``station``, in the station's own unit."""
    wet_mean = station.annual / (365.25 * station.wet_share)
    wet = rng.random() < station.wet_share
    for day in days:
        # sqrt on both the chance and the amount: their product follows the season once.
        root = math.sqrt(seasonal_weight(station, day))
        share = min(0.9, station.wet_share * root)
        chance = share + PERSISTENCE * (1 - share) if wet else share * (1 - PERSISTENCE)
        wet = rng.random() < chance
        yield rng.gammavariate(GAMMA_SHAPE, wet_mean * root / GAMMA_SHAPE) if wet else 0.0


def write_us(run: Run) -> None:
    """``us_stations`` and ``us_daily_precipitation`` (inches, hundredths)."""
    stations = sorted(US_STATIONS, key=lambda s: s.station_id)
    with run.sink(tables.US_STATIONS, tables.US_STATIONS_SCHEMA) as sink:
        for s in stations:
            key = cell(s.latitude, s.longitude)
            sink.add((s.station_id, s.name, s.region, s.latitude, s.longitude, s.elevation_m, key))
    days = list(run.dates())
    with run.sink(tables.US_DAILY, tables.US_DAILY_SCHEMA) as sink:
        for s in stations:
            rng = run.rng("us-precipitation", s.station_id)
            key = cell(s.latitude, s.longitude)
            for day, amount in zip(days, daily_amounts(rng, s, days), strict=True):
                inches = round(amount, 2)  # NOAA reports hundredths; less is a trace (0.00)
                snow = 0.0
                if s.snowy and inches > 0 and rng.random() < _snow_share(s, day):
                    snow = round(inches * rng.uniform(8.0, 13.0), 1)  # about 10:1 snow ratio
                loaded = at_utc(day + timedelta(days=1), 4, rng.randrange(180))
                sink.add((s.station_id, day, key, inches, snow, loaded))


def _snow_share(station: Station, day: date) -> float:
    share = SNOW_MONTHS.get(day.month, 0.0)
    return share if station.latitude > 41.0 else share * 0.6


def write_france(run: Run) -> None:
    """``fr_stations`` and ``fr_daily_precipitation`` (mm, tenths, with the QRR code)."""
    stations = sorted(FR_STATIONS, key=lambda s: s.station_id)
    with run.sink(tables.FR_STATIONS, tables.FR_STATIONS_SCHEMA) as sink:
        for s in stations:
            key = cell(s.latitude, s.longitude)
            sink.add((s.station_id, s.name, s.region, s.latitude, s.longitude, s.elevation_m, key))
    days = list(run.dates())
    provisional_from = run.end_date - timedelta(days=PROVISIONAL_DAYS)
    with run.sink(tables.FR_DAILY, tables.FR_DAILY_SCHEMA) as sink:
        for s in stations:
            rng = run.rng("france-precipitation", s.station_id)
            key = cell(s.latitude, s.longitude)
            for day, amount in zip(days, daily_amounts(rng, s, days), strict=True):
                mm = round(amount, 1)
                # 9 = filtered, not validated yet; 1 = validated; 2 = doubtful, kept.
                code = 9 if day > provisional_from else (2 if rng.random() < 0.01 else 1)
                loaded = at_utc(day + timedelta(days=1), 6, rng.randrange(150))
                sink.add((s.station_id, day, key, mm, code, loaded))
