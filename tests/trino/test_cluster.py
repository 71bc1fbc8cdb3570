"""The cluster scripts/trino.sh runs: a coordinator and one worker, and the work on the worker.

The coordinator schedules no task on itself (``node-scheduler.include-coordinator=false``),
so every query of the two-engine suite crosses the two nodes, as in production.
"""

from __future__ import annotations

import contextlib

import pytest

from demo.stores import StoredTable, file_rows
from tests.fixtures.trino import trino_connection, trino_rows

pytestmark = pytest.mark.services

COORDINATOR = "meshgate-test-coordinator"
WORKER = "meshgate-test-worker"


def test_two_active_nodes(trino_url: str) -> None:
    rows = trino_rows(
        trino_url,
        "SELECT node_id, coordinator, state FROM system.runtime.nodes ORDER BY node_id",
    )
    assert rows == [[COORDINATOR, True, "active"], [WORKER, False, "active"]]


def test_a_query_of_both_stores_runs_its_tasks_on_the_worker(
    trino_url: str, demo_stores: list[StoredTable]
) -> None:
    table = next(t for t in demo_stores if t.postgres_schema and t.mariadb_database)
    with contextlib.closing(trino_connection(trino_url)) as conn:
        cur = conn.cursor()
        pg = f'demo_pg."{table.postgres_schema}"."{table.name}"'
        mariadb = f'demo_mariadb."{table.mariadb_database}"."{table.name}"'
        cur.execute(f"SELECT count(*) FROM {pg} UNION ALL SELECT count(*) FROM {mariadb}")
        counts = sorted(row[0] for row in cur.fetchall())
        query_id = cur.query_id
    assert counts == [file_rows(table.file)] * 2
    tasks = trino_rows(
        trino_url,
        f"SELECT node_id, count(*) FROM system.runtime.tasks WHERE query_id = '{query_id}'"
        " GROUP BY node_id",
    )
    assert [node for node, _ in tasks] == [WORKER], tasks
