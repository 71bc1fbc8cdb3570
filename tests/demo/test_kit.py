"""Every demo product served by the product gateway kit over freshly generated data:
healthy, its quality rules passing, certified."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from productkit.http.app import create_product_app
from tests.demo.documents import PRODUCTS, products
from tests.fixtures.uvicorn import running


@pytest.mark.parametrize("name", sorted(products()))
def test_product_is_healthy_and_certified(demo_root: Path, name: str) -> None:
    app = create_product_app(PRODUCTS / name, token="t", env={}, root=demo_root)
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        health = client.get("/observe/health").json()
        assert health["status"] == "UP", health["checks"]
        assert all(t["rowCount"] > 0 for t in health["tables"])
        results = client.get("/observe/results").json()["results"]
        judged = [r for r in results if r["passed"] is not None]
        assert len(judged) >= 10  # the library rules and the flags, measured on the data
        assert [r for r in results if r["passed"] is False or r.get("error")] == []
        report = client.get("/certify/report").json()
        assert report["status"] == "OK", [p for p in report["policies"] if not p["certified"]]
        sample = client.get(f"/consume/{health['tables'][-1]['name']}?limit=3").json()
        assert len(sample["rows"]) == 3
