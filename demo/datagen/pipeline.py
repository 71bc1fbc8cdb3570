"""Generate the whole demo mesh's data in lineage order, then write the marker file."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from demo.datagen import derived, tables
from demo.datagen.airquality import write_air_quality
from demo.datagen.flood import write_flood_areas
from demo.datagen.precipitation import write_france, write_us
from demo.datagen.risk import write_physical_risk
from demo.datagen.run import Run
from demo.datagen.temperature import write_cities

MARKER = ".generated"

#: Each step after the products it reads (the order of the mesh's lineage).
STEPS: tuple[tuple[str, Callable[[Run], None]], ...] = (
    ("precipitation.us-precipitation", write_us),
    ("precipitation.france-precipitation", write_france),
    ("precipitation.global-precipitation", derived.write_global),
    ("temperature.city-temperatures", write_cities),
    ("temperature.metropolitan-temperatures", derived.write_metropolitan),
    ("flood.flood-areas", write_flood_areas),
    ("physical-risk.physical-risk", write_physical_risk),
    ("disclosure-reporting.disclosure-reporting", derived.write_disclosures),
    ("air-quality.nyc-air-quality", write_air_quality),
)


def row_count(path: Path) -> int:
    """Rows in a Parquet or CSV file."""
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    quoted = str(path).replace("'", "''")
    with duckdb.connect(":memory:") as db:
        found = db.execute(f"SELECT count(*) FROM {reader}('{quoted}')").fetchone()
    return int(found[0]) if found else 0


def generate(run: Run, log: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write every table of the demo mesh under ``run.out``; return rows per table file.

    The marker ``<out>/.generated`` (JSON: parameters and row counts) is written last, so
    its presence means the data is complete.
    """
    marker = run.out / MARKER
    marker.unlink(missing_ok=True)
    for product, step in STEPS:
        started = time.perf_counter()
        step(run)
        if log is not None:
            log(f"{product}: {time.perf_counter() - started:.1f}s")
    counts = {
        str(t.path(run.out).relative_to(run.out)): row_count(t.path(run.out))
        for t in tables.ALL_TABLES
    }
    marker.write_text(
        json.dumps(
            {
                "seed": run.seed,
                "scale": run.scale,
                "endDate": run.end_date.isoformat(),
                "days": run.days,
                "rows": counts,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return counts
