"""The kit reads its own limits (``MESHGATE_PRODUCT_*``), from ``product.env`` too, and
refuses a wrong one at start naming the variable."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from productkit.settings import InvalidKitSetting, KitSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("MESHGATE_PRODUCT_MAX_SUBSCRIPTIONS", "0", "an integer greater than 0"),
        ("MESHGATE_PRODUCT_MAX_SUBSCRIPTIONS", "many", "expected a int"),
        ("MESHGATE_PRODUCT_SUBSCRIPTIONS_PER_MINUTE", "-3", "an integer greater than 0"),
        ("MESHGATE_PRODUCT_CSV_COPY_MAX_MB", "0", "an integer greater than 0"),
        ("MESHGATE_PRODUCT_CSV_COPY_MAX_MB", "0.5", "expected a int"),
        ("MESHGATE_PRODUCT_SQL_RULE_TIMEOUT_SECONDS", "nan", "a number of seconds greater than 0"),
        ("MESHGATE_PRODUCT_SQL_RULE_TIMEOUT_SECONDS", "inf", "a number of seconds greater than 0"),
        ("MESHGATE_PRODUCT_STATE_PATH", "", "expected a file path"),
        ("MESHGATE_PRODUCT_STATE_PATH", "kit\0.sqlite3", "expected a file path"),
    ],
)
def test_a_wrong_value_names_its_variable(variable: str, value: str, expected: str) -> None:
    with pytest.raises(InvalidKitSetting) as caught:
        KitSettings.from_env({variable: value})
    assert variable in str(caught.value) and expected in str(caught.value)


def test_product_env_sets_the_kits_limits(
    product_dir: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> None:
    """A limit in the folder's product.env applies (the process environment may override)."""
    with (product_dir / "product.env").open("a") as env:
        env.write("\nMESHGATE_PRODUCT_MAX_SUBSCRIPTIONS=1\n")
    base = serve_app(make_app(product_dir))
    with httpx.Client(base_url=base, timeout=10) as http:
        first = http.post("/observe/events/subscriptions", json={"endpoint": "http://h.example/1"})
        second = http.post("/observe/events/subscriptions", json={"endpoint": "http://h.example/2"})
    assert first.status_code == 201, first.text
    assert (second.status_code, second.json()["error"]["code"]) == (409, "TOO_MANY_SUBSCRIPTIONS")


def test_the_kit_refuses_to_start_on_a_wrong_limit(product_dir: Path) -> None:
    """``meshgate-product serve`` exits 1 naming the variable, before it listens."""
    with (product_dir / "product.env").open("a") as env:
        env.write("\nMESHGATE_PRODUCT_SUBSCRIPTIONS_PER_MINUTE=0\n")
    done = subprocess.run(
        [sys.executable, "-m", "productkit", "serve", str(product_dir), "--port", "0"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "MESHGATE_PRODUCT_SUBSCRIPTIONS_PER_MINUTE=0" in done.stderr
