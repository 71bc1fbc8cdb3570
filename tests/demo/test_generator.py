"""The generator: deterministic for a seed, streaming, scaled, and its command line."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from demo.datagen import MARKER, Run, generate
from demo.datagen.tables import ALL_TABLES

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2025, 3, 31)


def same_data(a: Path, b: Path) -> list[str]:
    """The table files whose content differs between two output folders."""
    differing = []
    for table in ALL_TABLES:
        left, right = table.path(a), table.path(b)
        if table.format == "parquet":
            if not pq.read_table(left).equals(pq.read_table(right)):
                differing.append(table.table)
        elif left.read_bytes() != right.read_bytes():
            differing.append(table.table)
    return differing


def test_same_seed_same_rows_whatever_the_batch_size(tmp_path: Path) -> None:
    first = generate(Run(out=tmp_path / "a", seed=7, scale=0.1, end_date=DAY))
    second = generate(Run(out=tmp_path / "b", seed=7, scale=0.1, end_date=DAY, batch_rows=97))
    assert first == second
    assert same_data(tmp_path / "a", tmp_path / "b") == []
    # Small batches really did stream: the file holds many row groups.
    daily = pq.ParquetFile(tmp_path / "b" / "us-precipitation" / "us_daily_precipitation.parquet")
    assert daily.metadata.num_row_groups > 5


def test_another_seed_other_rows(tmp_path: Path) -> None:
    generate(Run(out=tmp_path / "a", seed=7, scale=0.1, end_date=DAY))
    generate(Run(out=tmp_path / "b", seed=8, scale=0.1, end_date=DAY))
    differing = set(same_data(tmp_path / "a", tmp_path / "b"))
    # Reference tables stay; every generated series changes.
    assert {"us_daily_precipitation", "fr_daily_precipitation", "city_daily_temperatures",
            "flood_prone_areas", "asset_flood_exposure", "air_quality"} <= differing  # fmt: skip
    assert "us_stations" not in differing


def test_scale_sets_the_history_and_the_sizes(tmp_path: Path) -> None:
    small = generate(Run(out=tmp_path / "s", scale=0.1, end_date=DAY))
    large = generate(Run(out=tmp_path / "l", scale=0.4, end_date=DAY))
    daily = "us-precipitation/us_daily_precipitation.parquet"
    assert small[daily] == 23 * 36 and large[daily] == 23 * 146
    assert large["physical-risk/assets.parquet"] == 4 * small["physical-risk/assets.parquet"]
    assert large["flood-areas/flood_prone_areas.csv"] > small["flood-areas/flood_prone_areas.csv"]
    days = pq.read_table(tmp_path / "l" / daily, columns=["observation_date"]).column(0)
    assert max(days.to_pylist()) == DAY


def test_default_scale_is_small_but_complete(demo_out: Path) -> None:
    marker = json.loads((demo_out / MARKER).read_text())
    total = sum(marker["rows"].values())
    assert 20_000 <= total <= 150_000
    assert marker["days"] == 365 and marker["seed"] == 42
    assert all(count > 0 for count in marker["rows"].values())
    assert set(marker["rows"]) == {str(t.path(Path())) for t in ALL_TABLES}


def test_command_line(tmp_path: Path) -> None:
    out = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "generate.py"), "--scale", "0.05", "--seed", "3",
         "--end-date", "2024-02-29", "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "rows in 15 tables" in done.stdout
    marker = json.loads((out / MARKER).read_text())
    assert (marker["seed"], marker["endDate"], marker["days"]) == (3, "2024-02-29", 18)
    for table in ALL_TABLES:
        assert table.path(out).is_file()
    assert not list(out.rglob(".*.tmp"))  # every file was moved into place


@pytest.mark.parametrize("args", [["--scale", "0"], ["--end-date", "yesterday"], ["--seed", "x"]])
def test_command_line_refuses_bad_arguments(tmp_path: Path, args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "generate.py"), "--out", str(tmp_path), *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "usage:" in done.stderr
    assert not (tmp_path / MARKER).exists()
