"""``meshgate serve``'s app freezes its start-up heap once its services are open
(gateway/heap.py: shorter full collections, a p99 four times lower in bench/peer_gateways.py);
the app the tests build does not (they open services many times in one process)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

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
