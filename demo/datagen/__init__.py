"""The demo mesh's data: a seeded generator of realistic climate data, and its loaders.

    from demo.datagen import Run, generate
    generate(Run(out=Path("demo/data"), seed=42, scale=1.0, end_date=date.today()))

Source-aligned products are generated from reference data (real stations, cities and
neighbourhoods); consumer-aligned products are computed from their inputs' files, so the
lineage the descriptors declare is true of the data. ``load_postgres`` and
``load_mariadb`` copy the same rows into the databases the contracts' servers name.
"""

from __future__ import annotations

from demo.datagen.loaders import load_mariadb, load_postgres
from demo.datagen.pipeline import MARKER, generate
from demo.datagen.run import Run

__all__ = ["MARKER", "Run", "generate", "load_mariadb", "load_postgres"]
