"""The parameters of one generation run and the helpers every table shares."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import h3
import pyarrow as pa

from demo.datagen.sink import DEFAULT_BATCH_ROWS, TableSink
from demo.datagen.tables import H3_RESOLUTION, TableFile

DAYS_PER_SCALE = 365  # scale 1 is one year of daily observations


@dataclass(frozen=True)
class Run:
    """One generation: where, how much, from which seed, up to which day.

    The data is a function of ``seed``, ``scale`` and ``end_date`` only (never of the
    clock or of ``batch_rows``), so two runs with the same three write the same rows.
    """

    out: Path
    seed: int = 42
    scale: float = 1.0
    end_date: date = date(2026, 1, 1)
    batch_rows: int = DEFAULT_BATCH_ROWS

    def rng(self, *names: object) -> random.Random:
        """A random stream of its own for ``names`` (a table, a station...).

        Seeding from a string is stable across processes (it is hashed with SHA-512),
        unlike ``hash()``; one stream per entity keeps each series the same when others
        are added.
        """
        return random.Random(":".join([str(self.seed), *map(str, names)]))

    @property
    def days(self) -> int:
        """How many days of daily observations this run writes."""
        return max(1, round(DAYS_PER_SCALE * self.scale))

    def dates(self) -> Iterator[date]:
        """Every observation day, oldest first, ending at ``end_date``."""
        first = self.end_date - timedelta(days=self.days - 1)
        for offset in range(self.days):
            yield first + timedelta(days=offset)

    def sink(self, table: TableFile, schema: pa.Schema) -> TableSink:
        """A streaming writer for ``table`` under this run's output folder."""
        return TableSink(table.path(self.out), schema, self.batch_rows)


def cell(latitude: float, longitude: float, resolution: int = H3_RESOLUTION) -> str:
    """The H3 cell holding a point.

    >>> cell(40.77898, -73.96925)
    '872a10089ffffff'
    """
    return str(h3.latlng_to_cell(latitude, longitude, resolution))


def at_utc(day: date, hour: int, minute: int = 0) -> datetime:
    """``day`` at ``hour:minute`` UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
        hours=hour, minutes=minute
    )
