"""A real gateway under uvicorn for the HTTP limits, a token issuer it trusts, and one
real demo product to register."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.settings import Settings
from productkit.http.app import create_product_app
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import demo_product_dirs


@pytest.fixture(scope="module")
def product() -> Iterator[str]:
    """The discovery URL of one demo product gateway (what a registration names)."""
    with running(create_product_app(demo_product_dirs()[0], token="t", env={})) as base:
        yield f"{base}/discover/metadata"


@pytest.fixture
def issuer(tmp_path: Path) -> TestIssuer:
    return TestIssuer(tmp_path / "auth")


@pytest.fixture
def admin(issuer: TestIssuer) -> dict[str, str]:
    """Headers of a signed-in admin: the limits hold for every caller."""
    return issuer.headers()


@pytest.fixture
def start_gateway(
    serve_app: Callable[[Any], str], tmp_path: Path, issuer: TestIssuer
) -> Callable[..., str]:
    """``start_gateway(**settings)``: a fresh gateway (empty registry); its base URL."""

    def start(**settings: Any) -> str:
        config = Settings(
            registry_url=f"sqlite:///{tmp_path / 'registry.db'}",
            **issuer.settings(),
            **{"upstream_allowed_networks": LOOPBACK_ONLY, **settings},
        )
        return serve_app(create_app(config))

    return start


@pytest.fixture
def gateway(start_gateway: Callable[..., str]) -> str:
    """A gateway with every limit at its default."""
    return start_gateway()


def without_request_id(error: dict[str, Any]) -> dict[str, Any]:
    """An error object (REST ``error`` or GraphQL ``extensions``) minus its request id,
    which every answer carries and which differs each time."""
    assert isinstance(error.get("requestId"), str), error
    return {k: v for k, v in error.items() if k != "requestId"}
