"""A stop signal ends the gateway within MESHGATE_SHUTDOWN_SECONDS even when something it
closes never finishes (seen: a worker of `meshgate serve --workers 2` elected to run the
health rounds while it was stopping, held 30 s until killed: redis-py had swallowed the
monitor's cancellation, tests/services/test_swallowed_cancel.py); the log says where
closing waited."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.types import Receive, Scope, Send

from gateway.http.app import create_http_app
from gateway.services import Services
from gateway.settings import Settings


async def _no_graph(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("no request is made")


async def stopped_in(settings: Settings, on_ready: Callable[[Services], None]) -> float:
    """Start the app's services, stop them: the seconds the stop took."""
    app = create_http_app(settings, _no_graph, on_ready=on_ready)
    async with app.router.lifespan_context(app):
        stopping = time.monotonic()
    return time.monotonic() - stopping


async def _never_closes() -> None:
    await asyncio.Event().wait()


async def test_a_close_that_never_ends_does_not_keep_the_gateway_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(registry_url=f"sqlite:///{tmp_path / 'registry.db'}", shutdown_seconds=1)
    opened: list[Services] = []

    def on_ready(services: Services) -> None:
        opened.append(services)
        services.closer.push_async_callback(_never_closes)  # closed first: it blocks the rest

    took = await asyncio.wait_for(stopped_in(settings, on_ready), 20)  # not a hung test
    assert 1.0 <= took < 5.0
    [record] = [r for r in caplog.records if "did not close" in r.getMessage()]
    assert record.levelno == logging.ERROR
    assert "MESHGATE_SHUTDOWN_SECONDS" in record.getMessage()
    assert "_never_closes" in record.getMessage()  # where it waited
    await asyncio.sleep(0.2)  # the cancelled close goes on with the rest
    assert opened[0].http.is_closed


async def test_services_that_close_are_closed_whole_and_at_once(tmp_path: Path) -> None:
    settings = Settings(registry_url=f"sqlite:///{tmp_path / 'registry.db'}", shutdown_seconds=30)
    opened: list[Services] = []
    assert await asyncio.wait_for(stopped_in(settings, opened.append), 20) < 10.0
    assert opened[0].http.is_closed
