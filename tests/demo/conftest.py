"""The generated demo data folder (``demo_root`` is tests/fixtures/demo_data.py's)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_out(demo_root: Path) -> Path:
    """The generated ``demo/data`` folder."""
    return demo_root / "demo" / "data"
