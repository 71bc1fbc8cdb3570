"""docs/operator.md lists every gateway setting, docs/product-owner.md every kit setting,
with its current default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.settings import Settings
from productkit.settings import KitSettings

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize(
    ("page", "settings"), [("operator.md", Settings), ("product-owner.md", KitSettings)]
)
def test_every_setting_is_in_its_guide_with_its_default(page: str, settings: Any) -> None:
    rows = {
        cells[1].strip("` "): cells[2].strip("` ")
        for line in (DOCS / page).read_text().splitlines()
        if line.startswith("| `MESHGATE_")
        for cells in [line.split("|")]
    }
    missing = [
        f"| `{var}` | `{default}` | {help} |"
        for var, default, help in settings.help_text()
        if rows.get(var) != str(default)
    ]
    assert not missing, f"add or correct these rows in docs/{page}:\n" + "\n".join(missing)
