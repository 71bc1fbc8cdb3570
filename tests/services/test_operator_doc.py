"""docs/operator.md lists every setting, with its current default."""

from __future__ import annotations

from pathlib import Path

from gateway.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "operator.md"


def test_every_setting_is_in_the_operator_guide_with_its_default() -> None:
    rows = {
        cells[1].strip("` "): cells[2].strip("` ")
        for line in DOC.read_text().splitlines()
        if line.startswith("| `MESHGATE_")
        for cells in [line.split("|")]
    }
    missing = [
        f"| `{var}` | `{default}` | {help} |"
        for var, default, help in Settings.help_text()
        if rows.get(var) != str(default)
    ]
    assert not missing, "add or correct these rows in docs/operator.md:\n" + "\n".join(missing)
