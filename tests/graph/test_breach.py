"""Issue 9's second "done when", its health part: a demo product made to breach (its
gateway stopped; another stopped through its own /control) changes its health within one
refresh interval, and shows in ``meshHealth``: the counts and the worst offenders, worst
first. Real demo kits under uvicorn, the gateway refreshing health in the background."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.graph.conftest import DEMO, Mesh, start_mesh

REFRESH = 2.0  # health_refresh_seconds of this test's gateway
DEADLINE = 2.0  # health_deadline_seconds: one product's check
SLACK = 4.0  # a loaded machine's delays (scheduling, the poll below)
FOLDERS = ("us-precipitation", "france-precipitation", "global-precipitation")
MESH_HEALTH = """{ meshHealth { counts { status count }
  worstOffenders(first: 5) { productKey status reasons { code } } } }"""


def key(folder: str) -> str:
    product = yaml.safe_load((DEMO / folder / "product.yaml").read_text())
    slug = next(p["value"] for p in product["customProperties"] if p["property"] == "slug")
    return f"{product['domain']}.{slug}"


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[Mesh]:
    with start_mesh(
        tmp_path, [DEMO / f for f in FOLDERS],
        health_refresh_seconds=REFRESH, health_deadline_seconds=DEADLINE,
    ) as started:  # fmt: skip
        yield started


def mesh_health(mesh: Mesh) -> dict[str, Any]:
    body = mesh.query(MESH_HEALTH)
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["meshHealth"]
    return found


def counts(found: dict[str, Any]) -> dict[str, int]:
    return {c["status"]: c["count"] for c in found["counts"] if c["count"]}


def until(mesh: Mesh, done: Callable[[dict[str, Any]], bool], within: float) -> float:
    """Seconds until ``meshHealth`` satisfies ``done``; fails past ``within``."""
    started = time.monotonic()
    while True:
        found = mesh_health(mesh)
        elapsed = time.monotonic() - started
        if done(found):
            return elapsed
        assert elapsed < within, f"not within {within:g} s: {found}"
        time.sleep(0.1)


def test_a_breach_shows_within_one_refresh_interval_in_mesh_health(mesh: Mesh) -> None:
    bound = REFRESH + DEADLINE + SLACK  # the next refresh, and that refresh's own time
    until(mesh, lambda m: counts(m) == {"UP": 3}, within=30)

    # The US product's gateway stops: DOWN at the next refresh.
    mesh.stop("us-precipitation")
    until(mesh, lambda m: counts(m) == {"UP": 2, "DOWN": 1}, within=bound)
    (offender,) = mesh_health(mesh)["worstOffenders"]
    assert (offender["productKey"], offender["status"]) == (key("us-precipitation"), "DOWN")
    assert [r["code"] for r in offender["reasons"]] == ["UNREACHABLE"]

    # France is stopped through its own control endpoint: PAUSED, ranked after DOWN.
    answer = httpx.post(
        f"{mesh.products['france-precipitation']}/control/stop",
        headers={"authorization": "Bearer t"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    until(mesh, lambda m: counts(m) == {"UP": 1, "DOWN": 1, "PAUSED": 1}, within=bound)
    offenders = mesh_health(mesh)["worstOffenders"]
    assert [(o["productKey"], o["status"]) for o in offenders] == [
        (key("us-precipitation"), "DOWN"),
        (key("france-precipitation"), "PAUSED"),
    ]
    assert [r["code"] for r in offenders[1]["reasons"]] == ["PRODUCT_STOPPED"]
