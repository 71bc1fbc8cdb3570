"""The table of the run: medians over the repetitions, and req/s against the reference.

The reference is the peer's Rust router runtime ("Hive Gateway, Rust router runtime"), or
its default runtime when the router runtime could not run (the table says so).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def medians(windows: Sequence[dict[str, Any]], order: Sequence[str]) -> list[dict[str, Any]]:
    """One row per (gateway, c): the median of each figure over its windows."""
    rows = []
    for c in sorted({w["c"] for w in windows}):
        for label in order:
            mine = [w for w in windows if w["gateway"] == label and w["c"] == c]
            if not mine:
                continue
            row: dict[str, Any] = {"gateway": label, "c": c, "windows": len(mine)}
            for key in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request",
                        "upstream_per_request"):  # fmt: skip
                values = [w[key] for w in mine if w[key] is not None]
                row[key] = statistics.median(values) if values else None
            row["errors"] = sum(w["errors"] for w in mine)
            rows.append(row)
    return rows


def with_ratios(rows: list[dict[str, Any]], reference: str) -> list[dict[str, Any]]:
    """Each row's req/s divided by the reference's at the same c."""
    ref = {r["c"]: r["rps"] for r in rows if r["gateway"] == reference}
    for r in rows:
        base = ref.get(r["c"])
        r["rps_ratio"] = r["rps"] / base if base else None
    return rows


def _num(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(rows: list[dict[str, Any]], reference: str) -> str:
    """The markdown table of the issue, with the ratio column."""
    out = [
        f"| gateway | c | req/s | p50 ms | p99 ms | gateway CPU ms per request "
        f"| upstream calls per request | req/s vs {reference} |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        p50, p99 = r["p50_ms"], r["p99_ms"]
        # A row whose windows had error answers is marked: its rates are not comparable.
        label = r["gateway"] + (f" (**{r['errors']} error answers**)" if r["errors"] else "")
        out.append(
            f"| {label} | {r['c']} | {r['rps']:.0f} "
            f"| {_num(p50, 1 if p50 < 100 else 0)} | {_num(p99, 1 if p99 < 100 else 0)} "
            f"| {_num(r['cpu_ms_per_request'], 1)} | {_num(r['upstream_per_request'], 1)} "
            f"| {_num(r['rps_ratio'], 2)} |"
        )
    return "\n".join(out)


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """The run's settings, versions, every window and the medians, as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
