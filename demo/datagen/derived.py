"""Consumer-aligned products, computed from their input products' files.

Each derivation reads its inputs batch by batch (Arrow, vectorized where it can be) and
writes as it goes, in the inputs' own order: memory stays bounded at any scale and the
output is the same on every run. Each computes what the product's contract says in its
``transformLogic`` fields, so the lineage the descriptors declare is true of the data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import h3
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from demo.datagen import tables
from demo.datagen.places import METRO_MAX_POPULATION, METRO_MIN_POPULATION
from demo.datagen.run import Run

MM_PER_INCH = 25.4
DISCLOSURE_H3_RESOLUTION = 5  # about 250 km²: a disclosed asset cannot be located
HOT_DAY_C = 30.0  # Météo-France's "journée chaude" threshold on the daily maximum
VALUE_BANDS = ((1e7, "under 10M"), (1e8, "10M-100M"), (1e9, "100M-1B"))
ABOVE_BANDS = "1B and over"


def batches(
    path: Path, batch_rows: int, schema: pa.Schema | None = None
) -> Iterator[pa.RecordBatch]:
    """The rows of a Parquet or CSV file, ``batch_rows`` at a time (CSV typed by ``schema``)."""
    if path.suffix == ".parquet":
        yield from pq.ParquetFile(path).iter_batches(batch_size=batch_rows)
        return
    options = pa_csv.ConvertOptions(column_types=schema) if schema is not None else None
    with pa_csv.open_csv(path, convert_options=options) as reader:
        yield from reader


def rounded(values: pa.Array | pa.ChunkedArray, digits: int) -> pa.Array | pa.ChunkedArray:
    """``values`` rounded to ``digits`` decimals, as the nearest doubles (as Python's round).

    Arrow's own ``round`` can land one ulp off (6.699999999999999); rounding the scaled
    value to a whole number, then one correctly rounded division, cannot.

    >>> rounded(pa.array([6.7 - 1e-12, 0.37 * 25.4]), 3).to_pylist()
    [6.7, 9.398]
    """
    scale = 10.0**digits
    return pc.divide(pc.round(pc.multiply(values, scale)), scale)


def _lookup(path: Path, key: str, value: str) -> tuple[pa.Array, pa.Array]:
    """Two aligned columns of a small reference table: keys and the values to look up."""
    table = pq.read_table(path, columns=[key, value])
    return table.column(key).combine_chunks(), table.column(value).combine_chunks()


def write_global(run: Run) -> None:
    """Global precipitation v1 and v2: the US series converted to mm, then France's."""
    sources = (
        ("US", tables.US_DAILY, tables.US_STATIONS, "precipitation_in", "in"),
        ("FR", tables.FR_DAILY, tables.FR_STATIONS, "precipitation_mm", "mm"),
    )
    with (
        run.sink(tables.GLOBAL_V1, tables.GLOBAL_V1_SCHEMA) as v1,
        run.sink(tables.GLOBAL_V2, tables.GLOBAL_V2_SCHEMA) as v2,
    ):
        for country, daily, stations, column, unit in sources:
            ids, names = _lookup(stations.path(run.out), "station_id", "station_name")
            product = f"precipitation.{daily.slug}"
            for batch in batches(daily.path(run.out), run.batch_rows):
                count = batch.num_rows
                station = batch.column("station_id")
                reported = batch.column(column)
                # Exactly 25.4 mm to the inch; hundredths of an inch give thousandths of a mm.
                mm = rounded(pc.multiply(reported, MM_PER_INCH), 3) if unit == "in" else reported
                common = [batch.column("observation_date"), batch.column("h3_cell"), mm]
                v1.write_batch(pa.record_batch(
                    [pc.binary_join_element_wise(f"{country}:", station, ""), *common,
                     pa.repeat(product, count)],
                    schema=tables.GLOBAL_V1_SCHEMA,
                ))  # fmt: skip
                v2.write_batch(pa.record_batch(
                    [pa.repeat(country, count), station,
                     pc.take(names, pc.index_in(station, value_set=ids)), *common, reported,
                     pa.repeat(unit, count), pa.repeat(product, count)],
                    schema=tables.GLOBAL_V2_SCHEMA,
                ))  # fmt: skip


def write_metropolitan(run: Run) -> None:
    """Metropolitan temperatures: the cities whose metropolitan area has 500k to 1.5M people."""
    cities = pq.read_table(tables.CITIES.path(run.out)).to_pylist()
    kept = [
        c
        for c in cities
        if METRO_MIN_POPULATION <= c["metropolitan_population"] <= METRO_MAX_POPULATION
    ]
    codes = pa.array([c["insee_code"] for c in kept], pa.string())
    areas = pa.array([c["metropolitan_area"] for c in kept], pa.string())
    names = pa.array([c["city_name"] for c in kept], pa.string())
    populations = pa.array([c["metropolitan_population"] for c in kept], pa.int32())
    with run.sink(tables.METRO_DAILY, tables.METRO_DAILY_SCHEMA) as sink:
        for batch in batches(tables.CITY_DAILY.path(run.out), run.batch_rows):
            rows = batch.filter(pc.is_in(batch.column("insee_code"), value_set=codes))
            if rows.num_rows == 0:
                continue
            at = pc.index_in(rows.column("insee_code"), value_set=codes)
            tmin, tmax = rows.column("tmin_c"), rows.column("tmax_c")
            sink.write_batch(pa.record_batch(
                [pc.take(areas, at), rows.column("insee_code"), pc.take(names, at),
                 rows.column("observation_date"), rows.column("h3_cell"),
                 pc.take(populations, at), tmin, tmax, rows.column("tmean_c"),
                 rounded(pc.subtract(tmax, tmin), 1), pc.greater_equal(tmax, HOT_DAY_C)],
                schema=tables.METRO_DAILY_SCHEMA,
            ))  # fmt: skip


def asset_token(salt: str, asset_id: str) -> str:
    """The disclosed stand-in for a proprietary asset id: a keyed hash, 16 hex digits.

    >>> asset_token("s", "CQA-00000001") == asset_token("s", "CQA-00000001")
    True
    >>> asset_token("s", "CQA-00000001") != asset_token("t", "CQA-00000001")
    True
    """
    return hashlib.blake2b(asset_id.encode(), key=salt.encode(), digest_size=8).hexdigest()


def value_band(value_usd: float) -> str:
    """The disclosed band of a confidential replacement value.

    >>> value_band(2.5e6), value_band(3e9)
    ('under 10M', '1B and over')
    """
    return next((label for bound, label in VALUE_BANDS if value_usd < bound), ABOVE_BANDS)


_ASSET_COLUMNS = ("asset_id", "company_lei", "company_name", "country_code", "asset_type",
                  "h3_cell", "replacement_value_usd")  # fmt: skip
_EXPOSURE_COLUMNS = ("exposed", "risk_level", "expected_annual_loss_usd", "assessed_on")


@dataclass
class CompanyTotals:
    """What one company discloses, summed over its assets."""

    name: str
    country_code: str
    as_of: date
    assets: int = 0
    exposed: int = 0
    high_risk: int = 0
    value: float = 0.0
    exposed_value: float = 0.0
    loss: float = 0.0

    def row(self, lei: str) -> tuple[object, ...]:
        framework = "ESRS E1" if self.country_code == "FR" else "IFRS S2"
        share = round(100.0 * self.high_risk / self.assets, 2)
        return (
            lei, self.name, self.country_code, self.as_of.year, framework, self.assets,
            self.exposed, self.high_risk, round(self.value, 2), round(self.exposed_value, 2),
            round(self.loss, 2), share, self.as_of,
        )  # fmt: skip


def write_disclosures(run: Run) -> None:
    """Disclosure reporting: per-asset rows with obfuscated ids, then per-company totals.

    Physical risk writes its two tables in the same asset order, so they are read side by
    side, batch by batch (checked, not assumed).
    """
    salt = f"disclosure-{run.seed}"  # the key stays with the disclosure team; here, the seed
    companies: dict[str, CompanyTotals] = {}
    pairs = zip(
        batches(tables.ASSETS.path(run.out), run.batch_rows),
        batches(tables.EXPOSURE.path(run.out), run.batch_rows),
        strict=True,
    )
    with run.sink(tables.ASSET_DISCLOSURES, tables.ASSET_DISCLOSURES_SCHEMA) as sink:
        for assets, exposure in pairs:
            if not assets.column("asset_id").equals(exposure.column("asset_id")):
                raise ValueError("physical-risk tables are not in the same asset order")
            # Plain column lists: far lighter than a dict per row.
            columns = [assets.column(n).to_pylist() for n in _ASSET_COLUMNS]
            columns += [exposure.column(n).to_pylist() for n in _EXPOSURE_COLUMNS]
            for asset_id, lei, name, country, kind, cell, value, *risk in zip(
                *columns, strict=True
            ):
                exposed, level, loss, as_of = risk
                totals = companies.setdefault(lei, CompanyTotals(name, country, as_of))
                totals.as_of = max(totals.as_of, as_of)
                totals.assets += 1
                totals.exposed += exposed
                totals.high_risk += level in ("high", "severe")
                totals.value += value
                totals.exposed_value += value if exposed else 0.0
                totals.loss += loss
                coarse = str(h3.cell_to_parent(cell, DISCLOSURE_H3_RESOLUTION))
                sink.add((
                    asset_token(salt, asset_id), lei, as_of.year, kind, coarse, level,
                    value_band(value), as_of,
                ))  # fmt: skip
    with run.sink(tables.COMPANY_DISCLOSURES, tables.COMPANY_DISCLOSURES_SCHEMA) as sink:
        for lei in sorted(companies):
            sink.add(companies[lei].row(lei))
