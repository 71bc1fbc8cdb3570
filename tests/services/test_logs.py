"""Log noise: at the default level the gateway's own INFO lines show and the HTTP
client's one-line-per-request INFO lines do not; at DEBUG those show too. Against a real
gateway under uvicorn calling a real product kit (registration fetches its metadata)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.logs import QUIET_LOGGERS
from gateway.settings import Settings
from productkit.http.app import create_product_app
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import DEMO


@pytest.fixture(autouse=True)
def _restore_levels() -> Iterator[None]:
    kept = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    yield
    for name, level in kept.items():
        logging.getLogger(name).setLevel(level)


def _register_and_log(tmp: Path, level: str, caplog: pytest.LogCaptureFixture) -> list[str]:
    """Register the US demo kit with a gateway logging at ``level``; the lines logged."""
    caplog.set_level(logging.getLevelName(level.upper()))
    issuer = TestIssuer(tmp / "auth")
    settings = Settings(
        registry_url=f"sqlite:///{tmp / 'registry.db'}",
        upstream_allowed_networks=LOOPBACK_ONLY,
        log_level=level,
        **issuer.settings(),
    )
    kit_app = create_product_app(DEMO / "us-precipitation", token="t", env={})
    with running(kit_app) as kit, running(create_app(settings)) as gateway:
        answer = httpx.post(
            f"{gateway}/registry/products",
            json={"url": f"{kit}/discover/metadata"},
            headers=issuer.headers(),
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        return [f"{r.name}: {r.getMessage()}" for r in caplog.records]


def test_at_info_the_gateway_logs_and_httpx_requests_do_not(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = _register_and_log(tmp_path, "info", caplog)
    assert any(line.startswith("gateway.http.app: meshgate ready") for line in lines), lines
    quiet = ("httpx", "httpcore", "gateway.net.document_client")
    assert not [line for line in lines if line.startswith(quiet)], lines


def test_at_debug_each_request_the_gateway_sends_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = _register_and_log(tmp_path, "debug", caplog)
    sent = [
        line for line in lines if line.startswith("gateway.net.document_client: HTTP Request: GET")
    ]
    assert any("/discover/metadata" in line for line in sent), lines
