"""The event loop's default executor has all its threads running once the services are open:
``asyncio.to_thread`` on the loop never starts one (Thread.start on the loop stalled it on
a busy machine, tests/federation/steady/test_swap.py)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from gateway import default_executor
from gateway.services import close_services, open_services
from gateway.settings import Settings


def started_threads(work: int) -> list[str]:
    """The names of the threads started while ``work`` jobs ran through asyncio.to_thread,
    several at once, on a fresh loop (made and closed here)."""

    async def run() -> list[str]:
        before = {t.ident for t in threading.enumerate()}
        await asyncio.gather(*(asyncio.to_thread(time.sleep, 0.01) for _ in range(work)))
        return sorted(t.name for t in threading.enumerate() if t.ident not in before)

    return asyncio.run(run())


def test_asyncio_own_default_executor_starts_threads_on_the_loop() -> None:
    """The premise: without the gateway's, the first jobs start threads as they are sent."""
    assert len(started_threads(8)) == default_executor.default_size()


def test_an_installed_executor_has_every_thread_before_the_first_job() -> None:
    async def run() -> tuple[list[str], list[str]]:
        loop = asyncio.get_running_loop()
        before = {t.ident for t in threading.enumerate()}
        executor = default_executor.install(loop, workers=4)
        made = sorted(t.name for t in threading.enumerate() if t.ident not in before)
        assert default_executor.install(loop) is executor  # once per loop
        await asyncio.gather(*(asyncio.to_thread(time.sleep, 0.01) for _ in range(12)))
        after = sorted(t.name for t in threading.enumerate() if t.ident not in before)
        return made, after

    made, after = asyncio.run(run())
    assert made == [f"{default_executor.PREFIX}_{n}" for n in range(4)]
    assert after == made  # twelve jobs, three at a time per thread: no thread more


def test_the_loops_close_stops_its_threads() -> None:
    async def run() -> list[threading.Thread]:
        before = set(threading.enumerate())  # other loops' executors live on
        default_executor.install(asyncio.get_running_loop(), workers=3)
        return [t for t in threading.enumerate() if t not in before]

    threads = asyncio.run(run())
    assert len(threads) == 3
    for thread in threads:
        thread.join(timeout=5)
    assert not any(t.is_alive() for t in threads)


async def test_open_services_installs_it(tmp_path: Path) -> None:
    settings = Settings(registry_url=f"sqlite:///{tmp_path / 'registry.db'}")
    services = await open_services(settings)
    try:
        running = [t for t in threading.enumerate() if t.name.startswith(default_executor.PREFIX)]
        loop = asyncio.get_running_loop()
        assert len(running) >= default_executor.default_size()
        before = {t.ident for t in threading.enumerate()}
        await asyncio.gather(*(asyncio.to_thread(time.sleep, 0.01) for _ in range(10)))
        assert {t.ident for t in threading.enumerate()} <= before
        assert default_executor.install(loop) is default_executor.install(loop)
    finally:
        await close_services(services)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_small_executor_is_started_whole(workers: int) -> None:
    executor = default_executor.started_executor(workers)
    try:
        assert len(executor._threads) == workers  # what submit would otherwise start
    finally:
        executor.shutdown(wait=True)
