"""``meshgate serve --workers 2`` for real: both processes answer, from one registry and
one cache; the health rounds run in one elected process, whose verdicts both answer, and
another takes them over when it dies."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import psycopg

from tests.fixtures.identity import TestIssuer
from tests.workers.conftest import TRIO, Kits, register
from tests.workers.processes import Workers

QUERY = """{ products(first: 50) { edges { node { id key
  versions { version outputPorts { contract { name } } } } } } }"""
HEALTH_ROUTE = "/observe/health"


def _served(kits: Kits) -> dict[str, dict[str, int]]:
    """Each product's requests by route, its metrics route (the test's own) left out."""
    return {
        name: {r: n for r, n in kits.requests(name).items() if r != "/observe/metrics"}
        for name in TRIO
    }


def _quiet(kits: Kits, within: float = 60.0) -> dict[str, dict[str, int]]:
    """The counts once they stay still for a second (the checks that follow a
    registration are done)."""
    deadline = time.monotonic() + within
    last = _served(kits)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = _served(kits)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the products kept being called: {last}")


def test_both_processes_answer_from_one_registry_and_one_cache(
    two_gateways: Callable[..., tuple[Workers, TestIssuer]], kits: Kits
) -> None:
    for name in TRIO:
        kits.start(name)
    gateway, issuer = two_gateways(
        cache_ttl_seconds=300, health_refresh_seconds=3600, certification_interval_seconds=0
    )
    a, b = gateway.pin_each(2)
    assert {a.pid, b.pid} == gateway.pids() and a.pid != b.pid
    ids = {register(a, issuer, kits.bases[name]) for name in TRIO}
    # Registered through one process, listed at once by the other.
    # (Pinned anew before each use: uvicorn closes a connection idle for 5 s.)
    status, listed = gateway.pin(b.pid).request(
        "GET", "/registry/products", headers=issuer.headers()
    )
    assert status == 200 and {p["id"] for p in listed["products"]} == ids
    warm = gateway.pin(a.pid).query(QUERY, issuer.headers())
    assert "errors" not in warm, warm
    before = _quiet(kits)
    # The other process answers the same from the shared cache: no product is called.
    again = gateway.pin(b.pid).query(QUERY, issuer.headers())
    assert again == warm
    assert _served(kits) == before
    # Judged by the process that registered them, the others answer that verdict within
    # their reading period (5 s), long before the next round (an hour here).
    assert _mesh_health(gateway, b.pid, issuer, within=20.0) == {"UP": 3}


def _mesh_health(gateway: Workers, pid: int, issuer: TestIssuer, within: float) -> dict[str, int]:
    """``meshHealth``'s counts (from the verdicts the process holds: it calls no product)
    as process ``pid`` answers them, once they cover the 3 products (or after ``within``
    seconds)."""
    deadline = time.monotonic() + within
    while True:
        body = gateway.pin(pid).query("{ meshHealth { counts { status count } } }",
                                      issuer.headers())  # fmt: skip
        counts = {c["status"]: c["count"] for c in body["data"]["meshHealth"]["counts"]}
        if sum(counts.values()) >= 3 or time.monotonic() > deadline:
            return {s: n for s, n in counts.items() if n}
        time.sleep(0.5)


def _health_leader(dsn: str) -> int | None:
    """The pid of the process holding the health election's lock (its session's name)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
            "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
            "AND a.application_name LIKE 'meshgate health pid %%' "
            # Advisory locks are per database; pg_locks shows every database's (another
            # test's gateways elect their own leader in theirs).
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchall()
    assert len(rows) <= 1, rows  # never two
    return int(rows[0][0].rsplit(" ", 1)[1]) if rows else None


def _wait_leader(dsn: str, gateway: Workers, not_pid: int | None, within: float) -> int:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        pid = _health_leader(dsn)
        if pid is not None and pid != not_pid and pid in gateway.pids():
            return pid
        time.sleep(0.2)
    raise AssertionError(f"no process took the health rounds over within {within} s")


def _health_calls(kits: Kits, seconds: float) -> dict[str, int]:
    """How many health documents each product served over ``seconds``."""
    before = {n: kits.requests(n).get(HEALTH_ROUTE, 0) for n in TRIO}
    time.sleep(seconds)
    return {n: kits.requests(n).get(HEALTH_ROUTE, 0) - before[n] for n in TRIO}


def test_one_health_round_per_interval_across_both_and_a_successor_when_it_dies(
    two_gateways: Callable[..., tuple[Workers, TestIssuer]],
    kits: Kits,
    fresh_postgres_dsn: str,
) -> None:
    interval, window = 1.0, 5.0
    for name in TRIO:
        kits.start(name)
    gateway, issuer = two_gateways(
        health_refresh_seconds=interval, certification_interval_seconds=0
    )
    gateway.pin_each(2)
    leader = _wait_leader(fresh_postgres_dsn, gateway, None, 30)
    (other,) = gateway.pids() - {leader}
    by_leader = gateway.pin(leader)
    for name in TRIO:
        register(by_leader, issuer, kits.bases[name])

    # One process runs the rounds: at most one per interval (two processes: twice that).
    calls = _health_calls(kits, window)
    most = window / interval + 1
    assert all(1 <= n <= most for n in calls.values()), (calls, most)

    # The other answers the leader's verdicts (it checked none of these products itself).
    assert _mesh_health(gateway, other, issuer, within=20.0) == {"UP": 3}

    # The leader dies: within the followers' period (5 s) and a start, another leads.
    os.kill(leader, signal.SIGKILL)
    successor = _wait_leader(fresh_postgres_dsn, gateway, leader, 30)
    assert successor != leader
    calls = _health_calls(kits, window)
    assert all(1 <= n <= most for n in calls.values()), (calls, most)
