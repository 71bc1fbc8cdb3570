"""``python demo/generate.py``: generate the demo data, then load it where asked."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

from demo.datagen.catalog import ROOT
from demo.datagen.loaders import load_mariadb, load_postgres
from demo.datagen.pipeline import generate
from demo.datagen.run import Run


def _scale(text: str) -> float:
    value = float(text)
    if not 0 < value <= 10_000:
        raise argparse.ArgumentTypeError("expected a number above 0 and at most 10000")
    return value


def parser() -> argparse.ArgumentParser:
    """The command line of ``demo/generate.py``."""
    p = argparse.ArgumentParser(
        prog="demo/generate.py",
        description="Generate the Climate Quantum demo mesh's data (Parquet and CSV).",
    )
    p.add_argument(
        "--scale",
        type=_scale,
        default=1.0,
        help="1 = a year of daily data, ~100k rows (default); 100 = millions",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=ROOT / "demo" / "data",
        help="output folder (default: demo/data)",
    )
    p.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    p.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=None,
        help="last observation day, YYYY-MM-DD (default: today, UTC)",
    )
    p.add_argument(
        "--batch-rows",
        type=int,
        default=50_000,
        help="rows per written batch: bounds memory (default: 50000)",
    )
    p.add_argument(
        "--load-postgres",
        metavar="DSN",
        help="also load every product into this PostgreSQL database",
    )
    p.add_argument(
        "--load-mariadb",
        metavar="DSN",
        help="also load the products with a mysql server (mysql://user:pw@host:port/)",
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return p  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = parser().parse_args(argv)

    def log(line: str) -> None:
        if not args.quiet:
            print(line, flush=True)

    run = Run(
        out=args.out.resolve(),
        seed=args.seed,
        scale=args.scale,
        end_date=args.end_date or datetime.now(UTC).date(),
        batch_rows=args.batch_rows,
    )
    started = time.perf_counter()
    counts = generate(run, log=log)
    log(
        f"{sum(counts.values()):,} rows in {len(counts)} tables under {run.out} "
        f"(seed {run.seed}, scale {run.scale:g}, {run.days} days to {run.end_date}) "
        f"in {time.perf_counter() - started:.1f}s"
    )
    try:
        if args.load_postgres:
            load_postgres(args.load_postgres, run.out, log=log)
        if args.load_mariadb:
            load_mariadb(args.load_mariadb, run.out, log=log)
    except Exception as exc:  # a database error: say which, without a traceback
        print(f"generate.py: loading failed: {exc}", file=sys.stderr)
        return 1
    return 0
