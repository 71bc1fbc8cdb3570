"""The Trino engine's HTTP sessions: bounded whatever the number of queries, one user's
never handed to another, given back however a query ends (issue 7, defect 6)."""

from __future__ import annotations

import asyncio
import gc
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import requests

from gateway.errors import SqlTimeout
from gateway.federation.engines._trino_sessions import TrinoSessions
from gateway.federation.engines.trino_engine import TrinoEngine, TrinoSettings
from gateway.federation.planner import Plan
from tests.fixtures.trino import TRINO_PORT, trino_rows

IDLE = 2
SLOW = (
    "SELECT count(*) FROM UNNEST(sequence(1, 10000)) a(x) "
    "CROSS JOIN UNNEST(sequence(1, 10000)) b(y) CROSS JOIN UNNEST(sequence(1, 2000)) c(z) "
    "WHERE x + y + z = {marker}"
)


def as_user(sql: str, user: str | None) -> Plan:
    """A plan straight to the engine, run as ``user`` (a caller's subject)."""
    return Plan(sql=sql, engine="trino", tables=(), row_cap=None, logical_sql=sql, user=user)


def sockets_to(port: int) -> int:
    """TCP sockets this process holds open to ``port`` on any host (from /proc)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[9] in inodes:
                    count += 1
    return count


@pytest.fixture
def no_collector() -> Iterator[None]:
    """The cyclic garbage collector off: what stays open is what the engine holds, not
    what a collection happened to free (the old engine's sessions went only that way)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


@pytest.fixture
async def engine(trino_url: str) -> AsyncIterator[TrinoEngine]:
    opened = TrinoEngine(TrinoSettings(url=trino_url, idle_sessions=IDLE))
    yield opened
    await opened.close()


async def _until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the deadline"
        await asyncio.sleep(0.05)


async def test_sockets_do_not_grow_with_the_number_of_queries(
    engine: TrinoEngine, no_collector: None
) -> None:
    before = sockets_to(TRINO_PORT)
    for round in range(8):
        # Three callers at once, as many rounds as it takes to tell a leak from reuse.
        results = await asyncio.gather(
            *(
                engine.execute(as_user(f"SELECT {round}", user), timeout_s=30, max_rows=1)
                for user in ("ana", "bob", "cyd")
            )
        )
        assert [r.rows for r in results] == [[(round,)]] * 3
    held = sockets_to(TRINO_PORT) - before
    # 24 queries; at most IDLE sessions kept, each with its keep-alive socket(s).
    assert held <= 2 * IDLE, f"{held} sockets to Trino after 24 queries"
    assert engine.sessions.open == engine.sessions.idle <= IDLE
    await engine.close()
    assert engine.sessions.open == 0
    await _until(lambda: sockets_to(TRINO_PORT) <= before)


async def test_each_query_runs_as_its_caller_on_reused_sessions(
    engine: TrinoEngine, trino_url: str
) -> None:
    tag = uuid.uuid4().hex[:10]
    users = [f"ana-{tag}", f"bob-{tag}"]
    for round in range(3):
        await asyncio.gather(
            *(
                engine.execute(
                    as_user(f"SELECT '{user}-{round}' AS who", user), timeout_s=30, max_rows=1
                )
                for user in users
            )
        )
    seen = trino_rows(
        trino_url,
        "SELECT user, query FROM system.runtime.queries "
        f"WHERE query LIKE '%-{tag}-%' AND query NOT LIKE '%system.runtime%'",
    )
    assert len(seen) == 6, seen
    for user, query in seen:
        assert f"'{user}-" in query, (user, query)  # each ran as the caller who sent it


async def test_a_timed_out_query_is_cancelled_and_its_session_given_back(
    engine: TrinoEngine, trino_url: str
) -> None:
    marker = -int(uuid.uuid4().int % 1_000_000) - 10
    with pytest.raises(SqlTimeout):
        await engine.execute(as_user(SLOW.format(marker=marker), "ana"), timeout_s=1.5, max_rows=1)
    states: list[Any] = []

    def cancelled() -> bool:
        states[:] = trino_rows(
            trino_url,
            "SELECT state, error_code FROM system.runtime.queries "
            f"WHERE query LIKE '%= {marker}%' AND query NOT LIKE '%system.runtime%'",
        )
        return bool(states) and all(s[0] == "FAILED" for s in states)

    await _until(cancelled)
    # The worker let go of the session once the cancelled read ended: it waits for ana.
    await _until(lambda: engine.sessions.open == engine.sessions.idle == 1)
    result = await engine.execute(as_user("SELECT 7", "ana"), timeout_s=30, max_rows=1)
    assert result.rows == [(7,)] and engine.sessions.open == 1


async def test_a_truncated_read_stops_the_query_on_the_server(
    engine: TrinoEngine, trino_url: str
) -> None:
    tag = uuid.uuid4().hex[:10]
    sql = (
        f"SELECT '{tag}' AS tag, x, y FROM UNNEST(sequence(1, 2000)) a(x) "
        "CROSS JOIN UNNEST(sequence(1, 1500)) b(y)"
    )
    result = await engine.execute(as_user(sql, "ana"), timeout_s=30, max_rows=5)
    assert result.truncated and len(result.rows) == 5
    rows = trino_rows(
        trino_url,
        "SELECT state FROM system.runtime.queries "
        f"WHERE query LIKE '%{tag}%' AND query NOT LIKE '%system.runtime%'",
    )
    assert rows and all(r[0] in ("FAILED", "FINISHED") for r in rows), rows
    assert engine.sessions.open == engine.sessions.idle == 1


async def test_a_stream_gives_its_session_back_read_or_abandoned(engine: TrinoEngine) -> None:
    sql = "SELECT x, y FROM UNNEST(sequence(1, 250)) a(x) CROSS JOIN UNNEST(sequence(1, 200)) b(y)"

    def read_all() -> int:
        return sum(b.num_rows for b in engine.stream(as_user(sql, "ana"), timeout_s=30))

    def read_one_batch() -> int:
        batches = iter(engine.stream(as_user(sql, "ana"), timeout_s=30, batch_rows=100))
        first = next(batches)
        assert engine.sessions.open == 1  # leased while the stream is read
        batches.close()  # type: ignore[attr-defined]  # the reader went away
        return int(first.num_rows)

    assert await asyncio.to_thread(read_all) == 50000
    assert engine.sessions.open == engine.sessions.idle == 1
    assert await asyncio.to_thread(read_one_batch) == 100
    assert engine.sessions.open == engine.sessions.idle == 1
    # A stream given up before it started never takes a session.
    never = engine.stream(as_user(sql, "ana"), timeout_s=30)
    never.cancel()
    assert list(never) == [] and engine.sessions.open == 1


# --- the lease rules, without a server --------------------------------------------------


class _Session(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def close(self) -> None:
        self.closed = True
        super().close()


def test_a_users_session_never_serves_another_user() -> None:
    sessions = TrinoSessions(max_idle=4, make=_Session)
    ana = sessions.acquire("ana")
    sessions.release("ana", ana)
    bob = sessions.acquire("bob")
    assert bob is not ana
    assert sessions.acquire("ana") is ana  # ana's own, reused
    # Two queries of one user at once never share a session either.
    assert sessions.acquire("ana") is not ana


def test_idle_sessions_are_bounded_and_the_oldest_closed() -> None:
    sessions = TrinoSessions(max_idle=2, make=_Session)
    made = [sessions.acquire(f"user-{i}") for i in range(5)]
    for i, session in enumerate(made):
        sessions.release(f"user-{i}", session)
    assert sessions.open == sessions.idle == 2
    assert [s.closed for s in made] == [True, True, True, False, False]  # type: ignore[attr-defined]
    sessions.close()
    assert sessions.open == 0 and all(s.closed for s in made)  # type: ignore[attr-defined]


def test_a_session_given_back_after_close_is_closed() -> None:
    sessions = TrinoSessions(max_idle=2, make=_Session)
    running = sessions.acquire("ana")
    sessions.close()
    sessions.release("ana", running)
    assert running.closed and sessions.open == 0  # type: ignore[attr-defined]
