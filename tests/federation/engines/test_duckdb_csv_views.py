"""The engine's CSV views read with the options sniffed once per version of the files
(gateway/federation/engines/_duckdb_csv_views.py): made again when a file changes, so a
CSV rewritten with its columns in another order is read by its new header; a CSV that
lost a declared column is refused, naming the column, not the file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from gateway.errors import SqlEngineError
from gateway.federation.catalog import StaticCatalog
from gateway.federation.engines import DuckDBEngine
from gateway.federation.engines import _duckdb_csv_views as csv_views
from tests.fixtures.sniffs import count_sniffs

from .conftest import plan_for

FLOODS = "flood.flood-areas.flood_prone_areas"
SQL = "SELECT h3_cell, flood_type, return_period_years FROM {flood_prone_areas} ORDER BY h3_cell"


def _copy(catalog: StaticCatalog, demo_root: Path, root: Path) -> tuple[Any, Path, pa.Table]:
    """The flood table's CSV copied under ``root``: (the table, the copy, its data)."""
    table = catalog.get(FLOODS)
    assert table is not None
    relative = str(table.locations["duckdb"].source["path"])
    target = root / relative
    target.parent.mkdir(parents=True)
    target.write_bytes((demo_root / relative).read_bytes())
    return table, target, pacsv.read_csv(target)


def _rewrite(path: Path, data: pa.Table, when: int) -> None:
    pacsv.write_csv(data, path)
    os.utime(path, ns=(when, when))  # a version of its own, whatever the clock's grain


def _expected(data: pa.Table) -> list[tuple[Any, ...]]:
    rows = zip(*(data[c].to_pylist() for c in ("h3_cell", "flood_type",
                                                "return_period_years")), strict=True)  # fmt: skip
    return sorted(rows)


async def test_a_rewritten_csv_is_read_by_its_new_header(
    file_catalog: StaticCatalog, demo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sniffed = count_sniffs(monkeypatch, csv_views)
    table, path, data = _copy(file_catalog, demo_root, tmp_path)
    engine = DuckDBEngine([table], root=tmp_path)
    try:
        plan = plan_for(file_catalog, SQL, FLOODS)
        for _ in range(3):
            first = await engine.execute(plan, timeout_s=30, max_rows=10_000)
            assert first.rows == _expected(data)
        assert sniffed == [str(path)]  # once, when the engine was made
        # The columns reversed and half the rows: read with the options sniffed before,
        # h3_cell would be read from the last column.
        changed = data.select(list(reversed(data.column_names))).slice(0, data.num_rows // 2)
        _rewrite(path, changed, 1_800_000_000_000_000_000)
        second = await engine.execute(plan, timeout_s=30, max_rows=10_000)
        assert second.rows == _expected(changed)
        assert sniffed == [str(path), str(path)]
        # Streamed and explained: the same view, made again once more after a change.
        _rewrite(path, data, 1_900_000_000_000_000_000)
        batches = list(engine.stream_batches(plan, 1000, timeout_s=30))
        assert sum(b.num_rows for b in batches) == data.num_rows
        _rewrite(path, changed, 2_000_000_000_000_000_000)
        await engine.explain(plan)
        assert len(sniffed) == 4
    finally:
        await engine.close()


async def test_a_csv_that_lost_a_declared_column_is_refused_by_name(
    file_catalog: StaticCatalog, demo_root: Path, tmp_path: Path
) -> None:
    table, path, data = _copy(file_catalog, demo_root, tmp_path)
    engine = DuckDBEngine([table], root=tmp_path)
    try:
        plan = plan_for(file_catalog, SQL, FLOODS)
        assert (await engine.execute(plan, timeout_s=30, max_rows=10_000)).rows
        _rewrite(path, data.drop_columns(["flood_type"]), 1_800_000_000_000_000_000)
        with pytest.raises(SqlEngineError, match="flood_type") as caught:
            await engine.execute(plan, timeout_s=30, max_rows=10_000)
        assert str(tmp_path) not in caught.value.message  # no path in a caller's error
        # Put back: read again.
        _rewrite(path, data, 1_900_000_000_000_000_000)
        assert (await engine.execute(plan, timeout_s=30, max_rows=10_000)).rows == _expected(data)
    finally:
        await engine.close()


async def test_a_csv_swapped_for_a_symlink_out_of_the_roots_is_not_read(
    file_catalog: StaticCatalog, demo_root: Path, tmp_path: Path
) -> None:
    """A hostile product replaces its CSV, after the view was made, with a link to a file
    outside the data roots: the new sniff and the read both stay inside."""
    root = tmp_path / "root"
    table, path, data = _copy(file_catalog, demo_root, root)
    secret = tmp_path / "secret.csv"  # every declared column: only the roots can stop it
    cells = ["SECRET"] * data.num_rows
    pacsv.write_csv(data.set_column(0, "h3_cell", pa.array(cells)), secret)
    engine = DuckDBEngine([table], root=root)
    try:
        plan = plan_for(file_catalog, SQL, FLOODS)
        assert (await engine.execute(plan, timeout_s=30, max_rows=10_000)).rows
        path.unlink()
        path.symlink_to(secret)
        with pytest.raises(SqlEngineError, match="disabled by configuration") as caught:
            await engine.execute(plan, timeout_s=30, max_rows=10_000)
        assert "SECRET" not in caught.value.message and str(tmp_path) not in caught.value.message
    finally:
        await engine.close()
