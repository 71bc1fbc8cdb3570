"""Fixtures of the product gateway kit's tests: a product folder served by real uvicorn."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from productkit.http.app import create_product_app
from productkit.outbound import ALLOWED_NETWORKS_ENV
from tests.fixtures import uvicorn as uvicorn_fixtures
from tests.fixtures.uvicorn import LOOPBACK_ONLY
from tests.product.builders import build_product

TOKEN = "test-control-token"

# The shared uvicorn fixture, made available to this folder's tests.
serve_app = uvicorn_fixtures.serve_app


@pytest.fixture
def product_dir(tmp_path: Path) -> Path:
    """The default test product folder (one range rule fails on purpose)."""
    return build_product(tmp_path)


@pytest.fixture
def make_app() -> Callable[..., Starlette]:
    """``make_app(folder, **options)``: the product app with fresh probes and a known token."""

    def make(folder: Path, **options: Any) -> Starlette:
        options.setdefault("token", TOKEN)
        # Subscribers and registries of these tests listen on 127.0.0.1: allowed explicitly.
        options.setdefault("env", {ALLOWED_NETWORKS_ENV: LOOPBACK_ONLY})
        options.setdefault("probe_ttl", 0.0)
        options.setdefault("results_ttl", 0.0)
        return create_product_app(folder, **options)

    return make


@pytest.fixture
def client(
    product_dir: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> Iterator[httpx.Client]:
    """An httpx client on the default product, served by uvicorn on 127.0.0.1."""
    base = serve_app(make_app(product_dir))
    with httpx.Client(base_url=base, timeout=10) as http:
        yield http


def auth(token: str = TOKEN) -> dict[str, str]:
    """The control header."""
    return {"Authorization": f"Bearer {token}"}
