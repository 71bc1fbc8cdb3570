"""Shared fixtures. Each area keeps its fixtures in its own plugin module."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.uvicorn",
    "tests.fixtures.trino",
    "tests.fixtures.markers",
    "tests.fixtures.kit_state",
    "tests.fixtures.demo_data",
]
