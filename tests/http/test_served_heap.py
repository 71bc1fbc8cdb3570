"""``meshgate serve``'s app freezes its start-up heap once its services are open
(gateway/heap.py: shorter full collections, a p99 four times lower in bench/peer_gateways.py);
the app the tests build does not (they open services many times in one process)."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.heap import HeapSettler, settle_heap
from schema.asgi import create_app, create_served_app


def settings_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``MESHGATE_*`` variables for an app that keeps its files in ``tmp_path``."""
    monkeypatch.setenv("MESHGATE_REGISTRY_URL", f"sqlite:///{tmp_path / 'registry.db'}")
    monkeypatch.setenv("MESHGATE_DATA_ROOT", str(tmp_path))


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield None
    gc.unfreeze()  # the rest of the suite runs with the collector as it was


async def test_the_served_app_freezes_the_heap_once_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    settings_in(tmp_path, monkeypatch)
    app = create_served_app()
    assert gc.get_freeze_count() == 0  # not before its services are open
    async with app.router.lifespan_context(app):
        frozen = gc.get_freeze_count()
    assert frozen > 10_000  # modules, schema and services: all of the start-up


async def test_the_app_of_the_tests_leaves_the_collector_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    settings_in(tmp_path, monkeypatch)
    app = create_app()
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() == 0


class Cycle:
    """Garbage only a collection reclaims (it refers to itself)."""

    def __init__(self) -> None:
        self.me = self


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def full_collection(settler: HeapSettler, clock: Clock, seconds: float, gen: int = 2) -> None:
    """What ``gc.callbacks`` tell the settler of a collection lasting ``seconds``."""
    settler._watch("start", {"generation": gen})
    clock.now += seconds
    settler._watch("stop", {"generation": gen, "collected": 0, "uncollectable": 0})


async def until_idle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_a_slow_full_collection_settles_the_heap_again_at_most_once_a_minute(
    unfrozen: None,
) -> None:
    clock = Clock()
    settler = HeapSettler(asyncio.get_running_loop(), slow=0.02, min_interval=60, clock=clock)
    clock.now += 61  # a minute since the start's settling
    full_collection(settler, clock, 0.005)  # quick: nothing to do
    full_collection(settler, clock, 0.05, gen=1)  # slow, but not a full one
    await until_idle()
    assert settler.settled == 0 and gc.get_freeze_count() == 0
    full_collection(settler, clock, 0.05)
    full_collection(settler, clock, 0.05)  # while one is pending: still one
    await until_idle()
    assert settler.settled == 1 and gc.get_freeze_count() > 0
    clock.now += 30
    full_collection(settler, clock, 0.05)  # half a minute later: not again
    await until_idle()
    assert settler.settled == 1
    clock.now += 31
    full_collection(settler, clock, 0.05)
    await until_idle()
    assert settler.settled == 2


async def test_settling_again_reclaims_what_died_among_the_frozen(unfrozen: None) -> None:
    """Frozen objects are out of every collection; the next settling unfreezes them
    first, so a cycle frozen at start and dropped since is reclaimed, not kept for good."""
    cycle = Cycle()
    dead = weakref.ref(cycle)
    settle_heap()  # the start: the cycle is frozen with the rest
    del cycle
    gc.collect()
    assert dead() is not None  # out of the collector's reach while frozen
    clock = Clock()
    settler = HeapSettler(asyncio.get_running_loop(), slow=0.02, min_interval=60, clock=clock)
    clock.now += 61
    full_collection(settler, clock, 0.05)
    await until_idle()
    assert settler.settled == 1
    assert dead() is None


async def test_the_served_app_watches_its_full_collections_until_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    settings_in(tmp_path, monkeypatch)
    app = create_served_app()
    before = list(gc.callbacks)
    async with app.router.lifespan_context(app):
        added = [c for c in gc.callbacks if c not in before]
        assert len(added) == 1 and isinstance(added[0].__self__, HeapSettler)
    assert gc.callbacks == before
