"""The source-aligned French city temperatures: daily minimum, maximum and mean (°C).

Each city follows its normals (annual mean, seasonal swing peaking in late July, a
diurnal range wider in summer) plus a persistent anomaly (an AR(1) process), so warm and
cold spells last several days as they do.
"""

from __future__ import annotations

import math

from demo.datagen import tables
from demo.datagen.places import CITIES
from demo.datagen.run import Run, cell

WARMEST_DAY = 201  # day of year of the seasonal peak (about 20 July)
ANOMALY_MEMORY = 0.75  # day-to-day persistence of the anomaly
ANOMALY_SD = 1.6  # °C: daily innovation; the anomaly's spread is about 2.4 °C


def write_cities(run: Run) -> None:
    """``cities`` and ``city_daily_temperatures``."""
    cities = sorted(CITIES, key=lambda c: c.insee_code)
    with run.sink(tables.CITIES, tables.CITIES_SCHEMA) as sink:
        for c in cities:
            sink.add((
                c.insee_code, c.name, c.department_code, c.latitude, c.longitude,
                cell(c.latitude, c.longitude), c.population, c.metropolitan_area,
                c.metropolitan_population,
            ))  # fmt: skip
    with run.sink(tables.CITY_DAILY, tables.CITY_DAILY_SCHEMA) as sink:
        for c in cities:
            rng = run.rng("city-temperatures", c.insee_code)
            key = cell(c.latitude, c.longitude)
            anomaly = rng.gauss(0.0, ANOMALY_SD / math.sqrt(1 - ANOMALY_MEMORY**2))
            for day in run.dates():
                phase = 2 * math.pi * (day.timetuple().tm_yday - WARMEST_DAY) / 365.25
                anomaly = ANOMALY_MEMORY * anomaly + rng.gauss(0.0, ANOMALY_SD)
                mean = c.mean_c + c.half_range_c * math.cos(phase) + anomaly
                seasonal_range = c.diurnal_range_c * (1 + 0.25 * math.cos(phase))
                spread = max(1.0, seasonal_range + rng.gauss(0, 1.2))
                tmin = round(mean - spread / 2, 1)
                tmax = round(mean + spread / 2, 1)
                # Météo-France's TM is (TN + TX) / 2, rounded to a tenth.
                sink.add((c.insee_code, day, key, tmin, tmax, round((tmin + tmax) / 2, 1)))
