"""The election of one runner per job on the shared PostgreSQL registry, and the health
verdicts shared through Redis, each against the real server."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from gateway.election import AdvisoryLock, open_election
from gateway.health import HealthHub
from gateway.health.model import Judgement, Reason
from gateway.health.monitor import FOLLOWER_SECONDS, HealthMonitor
from gateway.health.shared import Round, SharedVerdicts
from gateway.registry import Registry, open_registry


def test_one_process_leads_a_job_until_its_session_ends(fresh_postgres_dsn: str) -> None:
    async def scenario() -> list[bool]:
        first, second = (
            AdvisoryLock(fresh_postgres_dsn, "health"),
            AdvisoryLock(fresh_postgres_dsn, "health"),
        )
        other_job = AdvisoryLock(fresh_postgres_dsn, "certification")
        try:
            seen = [await first.leading(), await second.leading(), await first.leading()]
            seen.append(await other_job.leading())  # jobs are elected apart
            await first.close()  # as a process that dies: its session ends
            seen.append(await _within(5.0, second))  # the server frees it soon after
            seen.append(await first.leading())
            return seen
        finally:
            for election in (first, second, other_job):
                await election.close()

    assert asyncio.run(scenario()) == [True, False, True, True, True, False]


async def _within(seconds: float, election: AdvisoryLock) -> bool:
    """Whether ``election`` leads within ``seconds`` (asked every 0.1 s)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await election.leading():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


def test_a_closed_election_never_leads_again(fresh_postgres_dsn: str) -> None:
    """A stopping process closes its elections: one asked while closing, or after, must not
    take the lock (seen: a worker elected while stopping, its new round holding it up)."""

    async def scenario() -> tuple[bool, bool, bool]:
        election = AdvisoryLock(fresh_postgres_dsn, "health")
        asking = asyncio.create_task(election.leading())
        await asyncio.sleep(0)  # it is connecting
        await election.close()
        during, after = await asking, await election.leading()
        other = AdvisoryLock(fresh_postgres_dsn, "health")
        try:
            return during, after, await other.leading()  # the lock is free
        finally:
            await other.close()

    assert asyncio.run(scenario()) == (False, False, True)


def test_the_lock_is_given_up_before_the_session_ends(
    fresh_postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A successor asking the moment a leader has closed leads: the lock is released by
    the session itself, not left to the server once the session's backend has exited
    (a successor asking in between did not lead, in a CI run)."""
    held_at_close: list[int] = []
    real_close = psycopg.AsyncConnection.close

    async def close(conn: psycopg.AsyncConnection[Any]) -> None:
        with psycopg.connect(fresh_postgres_dsn, autocommit=True) as watcher:
            row = watcher.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database"
                " WHERE datname = current_database())"  # the server's other tests apart
            ).fetchone()
        held_at_close.append(int(row[0]) if row else -1)
        await real_close(conn)

    monkeypatch.setattr(psycopg.AsyncConnection, "close", close)

    async def scenario() -> tuple[bool, bool]:
        leader = AdvisoryLock(fresh_postgres_dsn, "health")
        led = await leader.leading()
        await leader.close()
        # Closed while asking: the lock it had just taken is given up the same way.
        late = AdvisoryLock(fresh_postgres_dsn, "health")
        asking = asyncio.create_task(late.leading())
        await asyncio.sleep(0)
        await late.close()
        return led, await asking

    assert asyncio.run(scenario()) == (True, False)
    assert held_at_close == [0, 0]


def test_a_registry_that_does_not_answer_elects_nobody() -> None:
    async def scenario() -> bool:
        election = AdvisoryLock("postgresql://postgres@127.0.0.1:1/none", "health")
        try:
            return await election.leading()
        finally:
            await election.close()

    assert asyncio.run(scenario()) is False


def test_one_process_needs_no_election() -> None:
    alone = open_election("postgresql://postgres@127.0.0.1:1/none", "health", workers=1)
    assert asyncio.run(alone.leading()) is True


T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def at(minutes: int, pid: str, status: str = "UP") -> Judgement:
    reasons = () if status == "UP" else (Reason("UNREACHABLE", status, "down", since=T0),)
    return Judgement(pid, f"d.{pid}", status, T0 + timedelta(minutes=minutes), reasons)


def test_verdicts_written_by_one_process_are_read_once_by_another(redis_url: str) -> None:
    registry = f"postgresql://x/{secrets.token_hex(4)}"  # a mesh of its own in Redis

    async def scenario() -> list[Any]:
        writer = SharedVerdicts(redis_url, registry, keep_seconds=60)
        reader = SharedVerdicts(redis_url, registry, keep_seconds=60)
        stranger = SharedVerdicts(redis_url, f"{registry}-other", keep_seconds=60)
        try:
            await writer.write(T0, [at(1, "a"), at(2, "b", "DOWN")])
            seen = [await reader.newer(), await reader.newer()]
            await reader.put(at(3, "c"))  # registered through the reader
            await reader.drop("a")  # unregistered through it
            seen += [await writer.newer(), await stranger.newer()]
            return seen
        finally:
            for shared in (writer, reader, stranger):
                await shared.close()

    first, again, changed, other = asyncio.run(scenario())
    assert first == Round(T0, {"a": at(1, "a"), "b": at(2, "b", "DOWN")})
    assert again is None  # nothing changed: nothing read
    assert changed == Round(T0, {"b": at(2, "b", "DOWN"), "c": at(3, "c")})
    assert other is None  # another registry's gateways see none of them


def test_a_process_adopts_the_shared_round_but_keeps_what_it_knows_newer() -> None:
    monitor = HealthMonitor(
        None,  # type: ignore[arg-type]  # adopting reads neither registry nor products
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        interval=60, concurrency=1, deadline=1, max_results=1, max_reasons=1,
    )  # fmt: skip
    monitor._verdicts = {
        "newer-here": at(30, "newer-here", "DOWN"),  # found unreachable here since
        "older-here": at(5, "older-here", "DOWN"),
        "registered-here": at(25, "registered-here"),  # after the round's list was read
        "gone": at(5, "gone"),  # before the round, which left it out: unregistered
    }
    monitor._forgotten = {"unregistered-here": 1}
    shared = Round(T0 + timedelta(minutes=20), {
        "newer-here": at(20, "newer-here"), "older-here": at(20, "older-here"),
        "unregistered-here": at(20, "unregistered-here"), "new": at(20, "new"),
    })  # fmt: skip
    monitor._adopt(shared)
    assert {v.product_id: (v.status, v.checked_at) for v in monitor.verdicts()} == {
        "newer-here": ("DOWN", T0 + timedelta(minutes=30)),
        "older-here": ("UP", T0 + timedelta(minutes=20)),
        "registered-here": ("UP", T0 + timedelta(minutes=25)),
        "new": ("UP", T0 + timedelta(minutes=20)),
    }


def test_a_follower_asks_to_lead_again_only_after_a_pause(
    fresh_postgres_dsn: str, redis_url: str, tmp_path: Path
) -> None:
    """Another process leads the health job: the follower asks once, then again only
    after FOLLOWER_SECONDS (before: at once, again and again, thousands of times a
    second, a worker spinning on PostgreSQL and Redis for as long as it ran)."""

    async def scenario() -> int:
        leader = AdvisoryLock(fresh_postgres_dsn, "health")
        follower = AdvisoryLock(fresh_postgres_dsn, "health")
        asked = 0
        ask = follower.leading

        async def counted() -> bool:  # the real election, its calls counted
            nonlocal asked
            asked += 1
            return await ask()

        follower.leading = counted  # type: ignore[method-assign]
        store = await open_registry(f"sqlite:///{tmp_path / 'registry.db'}")
        shared = SharedVerdicts(redis_url, fresh_postgres_dsn, keep_seconds=60)
        try:
            assert await leader.leading()
            async with httpx.AsyncClient() as http:
                monitor = HealthMonitor(
                    Registry(store, http), None, HealthHub(),  # type: ignore[arg-type]
                    interval=60, concurrency=1, deadline=1, max_results=1, max_reasons=1,
                    election=follower, shared=shared,
                )  # fmt: skip
                await monitor.start()
                await asyncio.sleep(min(2.0, FOLLOWER_SECONDS / 2))
                await monitor.close()  # closes the follower's election and the shared
            return asked
        finally:
            await leader.close()
            await store.close()

    assert asyncio.run(scenario()) == 1
