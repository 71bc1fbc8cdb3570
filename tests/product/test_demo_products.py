"""The kit serves the real demo products, on data the demo's own generator writes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from contracts import load_descriptor

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = sorted(p.parent for p in (ROOT / "demo" / "products").glob("*/product.yaml"))


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``demo/data`` freshly generated (small scale), like the repo's."""
    root = tmp_path_factory.mktemp("demo")
    subprocess.run(
        [sys.executable, str(ROOT / "demo" / "generate.py"), "--out",
         str(root / "demo" / "data"), "--scale", "0.1"],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return root


def get(url: str) -> httpx.Response:
    # Results and certification run every quality rule on request (no cache in tests):
    # on a loaded 2-core machine that can pass httpx's 5 s default. Behaviour, not speed.
    return httpx.get(url, timeout=60)


def test_there_are_demo_products() -> None:
    assert len(PRODUCTS) >= 5


@pytest.mark.parametrize("folder", PRODUCTS, ids=[p.name for p in PRODUCTS])
def test_demo_product_is_served_from_its_generated_data(
    folder: Path,
    demo_root: Path,
    make_app: Callable[..., Starlette],
    serve_app: Callable[[Any], str],
) -> None:
    base = serve_app(make_app(folder, root=demo_root))
    meta = get(f"{base}/discover/metadata").json()
    assert meta["id"] == load_descriptor(folder / "product.yaml").id
    for link in meta["contracts"]:
        assert get(link["href"]).json()["id"] == link["id"]
    written = json.loads((demo_root / "demo" / "data" / ".generated").read_text())["rows"]
    health = get(f"{base}/observe/health").json()
    assert health["status"] == "UP", health
    for table in health["tables"]:
        # The generator's own record of what it wrote, per file of this product.
        files = [k for k in written if k.split("/")[-1].split(".")[0] == table["name"]]
        assert table["rowCount"] in {written[f] for f in files}, (table, files)
        assert table["rowCount"] > 0 and table["lastUpdated"]
    results = get(f"{base}/observe/results").json()["results"]
    assert results
    broken = [r for r in results if r["passed"] is False or r.get("error")]
    assert broken == []
    report = get(f"{base}/certify/report").json()
    assert report["status"] == "OK", report
    artifact = next(a for a in get(f"{base}/discover/artifacts").json()["artifacts"]
                    if a["type"] == "table")  # fmt: skip
    page = get(artifact["links"]["sample"]).json()
    assert len(page["rows"]) == min(10, next(
        t["rowCount"] for t in health["tables"] if t["name"] == artifact["name"]
    ))  # fmt: skip
