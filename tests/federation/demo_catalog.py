"""The demo mesh as a planner catalog: every product folder under demo/products."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from gateway.federation.catalog import StaticCatalog, load_product_folders

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("fixtures")


@cache
def demo_catalog() -> StaticCatalog:
    """The catalog of the demo's output contracts (placeholders at their defaults)."""
    folders = sorted(p.parent for p in (ROOT / "demo" / "products").glob("*/product.yaml"))
    return load_product_folders(folders, env={})
