"""The product owner guide's example folder is valid and served as the guide says."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml
from starlette.applications import Starlette

from gateway.cli import main
from tests.product.builders import ROWS, write_parquet

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "product-owner.md"


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(), flags=re.S)


def test_the_guide_example_is_served(
    tmp_path: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> None:
    descriptor, contract = _yaml_blocks()
    folder = tmp_path / "products" / "nyc-air-quality"
    (folder / "contracts").mkdir(parents=True)
    (folder / "product.yaml").write_text(descriptor)
    (folder / "contracts" / "air.yaml").write_text(contract)
    assert main(["validate", str(folder)]) == 0
    path = yaml.safe_load(contract)["servers"][0]["path"]
    rows = [{**r, "data_value": min(r["data_value"], 400.0)} for r in ROWS]
    write_parquet(tmp_path / path, rows)
    base = serve_app(make_app(folder, root=tmp_path))
    health = httpx.get(f"{base}/observe/health").json()
    assert health["status"] == "UP" and health["tables"][0]["rowCount"] == len(ROWS)
    # The guide's contract meets every policy: described, owned, SLAs, licence, rules.
    assert httpx.get(f"{base}/certify/status").json()["status"] == "OK"
    page = httpx.get(f"{base}/consume/air_quality", params={"limit": 5}).json()
    assert page["columns"] == ["unique_id", "data_value", "observed_at"]
