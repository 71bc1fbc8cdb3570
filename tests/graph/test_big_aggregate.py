"""Nothing is copied into the gateway: an aggregate over a million-row table answers from a
real ``meshgate serve`` process while its resident memory stays put.

The 10-million-row figure of issue #3 comes from ``bench/big_aggregate.py`` (scale 640,
minutes of generation); this test runs the same code at scale 64: 43 stations x 23,360
days = 1,004,480 rows, generated once into ``.run/bigdemo/scale-64`` (about a minute cold,
reused after). A million rows is already enough to see a copy: the control below shows
that holding them in Python costs well over the 100 MB bound.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from bench.big_aggregate import FILE, ensure_data, run

SCALE = 64
BOUND_MB = 100


def test_an_aggregate_over_a_million_rows_leaves_the_gateway_memory_alone() -> None:
    root = ensure_data(SCALE)
    outcome = run(root, runs=1)
    assert outcome.rows_in_file == 43 * round(365 * SCALE)
    assert outcome.count == outcome.rows_in_file
    assert outcome.growth_mb < BOUND_MB, outcome
    assert outcome.peak_growth_mb < BOUND_MB, outcome


def test_the_bound_would_catch_a_copy_of_the_table() -> None:
    # The control: the same million rows fetched into a Python process (what a gateway
    # that copied the table would do) raise its resident memory past the bound.
    path = ensure_data(SCALE) / FILE
    probe = textwrap.dedent(
        f"""
        from pathlib import Path

        import duckdb
        
        def rss():
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024

        # No progress bar: on a loaded machine it prints to stdout, which is parsed below.
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        con.execute("SELECT 1").fetchall()
        before = rss()
        rows = con.execute(
            "SELECT station_id, observation_date, precipitation_mm FROM read_parquet(?)",
            [{str(path)!r}],
        ).fetchall()
        print(len(rows), rss() - before)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    rows, grown = done.stdout.split()
    assert int(rows) == 43 * round(365 * SCALE)
    assert float(grown) > BOUND_MB, f"a copy grew RSS by only {grown} MB"
