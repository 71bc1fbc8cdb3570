"""Demo data generated once per session into a temporary repository-like root."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from demo.datagen import Run, generate


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root holding ``demo/data`` as the contracts' local servers name it, freshly
    generated with the default seed and scale, up to today (so freshness SLAs hold)."""
    root = tmp_path_factory.mktemp("demo-root")
    generate(Run(out=root / "demo" / "data", seed=42, end_date=datetime.now(UTC).date()))
    return root


@pytest.fixture(scope="session")
def demo_out(demo_root: Path) -> Path:
    """The generated ``demo/data`` folder."""
    return demo_root / "demo" / "data"
