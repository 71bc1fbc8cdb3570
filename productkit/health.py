"""Health: ask each store whether it answers, count each table's rows, judge freshness.

Nothing here is written by hand: the answer comes from querying the product's data.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

from productkit import state
from productkit.answers import (
    CheckStatus,
    Health,
    HealthCheck,
    HealthStatus,
    RunState,
    TableHealth,
)
from productkit.errors import StoreUnavailable
from productkit.stores import StoreSet, TableStats
from productkit.tables import Table
from productkit.timefmt import iso

UP: Final = "UP"
DEGRADED: Final = "DEGRADED"
DOWN: Final = "DOWN"
PAUSED: Final = "PAUSED"
STOPPED: Final = "STOPPED"

Stats = Mapping[str, TableStats | StoreUnavailable]


def probe(
    stores: StoreSet, tables: Sequence[Table]
) -> tuple[list[HealthCheck], dict[str, TableStats | StoreUnavailable]]:
    """Ping every store and read every table's stats (blocking)."""
    checks: list[HealthCheck] = []
    for store in stores.stores:
        started = time.perf_counter()
        message = None
        status: CheckStatus
        try:
            store.ping()
            status = UP
        except StoreUnavailable as exc:
            status, message = DOWN, exc.message
        checks.append(
            {
                "name": "store" if len(stores.stores) == 1 else f"store:{store.name}",
                "status": status,
                "latencyMs": round((time.perf_counter() - started) * 1000, 3),
                "message": message,
            }
        )
    stats: dict[str, TableStats | StoreUnavailable] = {}
    for table in tables:
        try:
            stats[table.name] = stores.by_table[table.name].table_stats(table)
        except StoreUnavailable as exc:
            stats[table.name] = exc
    return checks, stats


def freshness_checks(tables: Sequence[Table], stats: Stats, now: datetime) -> list[HealthCheck]:
    """One check per table with a latency SLA: UP while its newest row is young enough."""
    checks: list[HealthCheck] = []
    for table in tables:
        found = stats.get(table.name)
        if table.latency is None or not isinstance(found, TableStats):
            continue
        message: str | None
        status: CheckStatus
        if found.last_updated is None:
            status, message = DEGRADED, "no time column or file date tells when it was updated"
        else:
            age = (now - found.last_updated).total_seconds()
            late = age > table.latency.seconds
            status = DEGRADED if late else UP
            message = (
                f"newest data is {age / 3600:.1f} h old; the SLA allows "
                f"{table.latency.value:g} {table.latency.unit}"
                if late
                else None
            )
        checks.append({"name": f"freshness:{table.name}", "status": status, "latencyMs": None,
                       "message": message})  # fmt: skip
    return checks


def health_document(
    run_state: RunState,
    tables: Sequence[Table],
    store_checks: Sequence[HealthCheck],
    stats: Stats,
    now: datetime,
) -> Health:
    """The ``/observe/health`` answer."""
    checks = [*store_checks, *freshness_checks(tables, stats, now)]
    table_docs: list[TableHealth] = []
    for table in tables:
        found = stats.get(table.name)
        if isinstance(found, TableStats):
            updated = iso(found.last_updated) if found.last_updated else None
            table_docs.append(
                {"name": table.name, "rowCount": found.row_count, "lastUpdated": updated}
            )
        else:
            error = found.message if found is not None else "not probed"
            table_docs.append(
                {"name": table.name, "rowCount": None, "lastUpdated": None, "error": error}
            )
    return {
        "status": _status(run_state, store_checks, checks, table_docs),
        "state": run_state,
        "checkedAt": iso(now),
        "checks": checks,
        "tables": table_docs,
    }


def _status(
    run_state: str,
    store_checks: Sequence[HealthCheck],
    checks: Sequence[HealthCheck],
    tables: Sequence[TableHealth],
) -> HealthStatus:
    if run_state == state.PAUSED:
        return PAUSED
    if run_state == state.STOPPED:
        return STOPPED
    if store_checks and all(c["status"] == DOWN for c in store_checks):
        return DOWN
    if any(c["status"] != UP for c in checks) or any("error" in t for t in tables):
        return DEGRADED
    return UP
