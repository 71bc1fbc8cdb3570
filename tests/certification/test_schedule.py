"""Scheduled certification with an operator's own policy file: rounds run by themselves,
and levels and parameters come from the file's data."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.certification import products
from tests.certification.mesh import certification_mesh
from tests.certification.test_graph import BARE, CLAIMER, READ
from tests.graph.conftest import Mesh

POLICIES: dict[str, Any] = {
    "levels": [{"id": "listed"}, {"id": "owned"}, {"id": "trusted"}],
    "policies": [
        {"id": "licence", "description": "A licence.", "level": "listed",
         "check": "product.licence_stated"},
        {"id": "owner", "description": "Owner and support.", "level": "owned",
         "check": "product.owner_and_support"},
        {"id": "described", "description": "Columns described.", "level": "owned",
         "check": "columns.described"},
        {"id": "quality", "description": "Five judged results.", "level": "trusted",
         "check": "results.passing", "parameters": {"last": 3, "min_results": 5}},
    ],
}  # fmt: skip


def wait_for(mesh: Mesh, product: str, done: Callable[[Any], bool], timeout: float = 20.0) -> Any:
    """The product's certification once ``done`` holds of it (rounds run on their own)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = mesh.query(READ, {"p": product, "first": 100})
        certification = answer["data"]["product"]["certification"]
        if done(certification):
            return certification
        assert time.monotonic() < deadline, f"{product}: {certification}"
        time.sleep(0.2)


def wait_for_history(mesh: Mesh, product: str, count: int) -> Any:
    return wait_for(mesh, product, lambda c: len(c["history"]) >= count)


def test_rounds_run_on_their_own_with_the_operators_policies(tmp_path: Path) -> None:
    policy_file = tmp_path / "policies.yaml"
    policy_file.write_text(yaml.safe_dump(POLICIES))
    dirs = [products.claimer(tmp_path / "claimer"), products.bare(tmp_path / "bare")]
    with certification_mesh(
        tmp_path, dirs, f"sqlite:///{tmp_path / 'registry.db'}",
        certification_policies_file=str(policy_file), certification_interval_seconds=0.5,
        cache_ttl_seconds=0,
    ) as mesh:  # fmt: skip
        claimer = wait_for_history(mesh, CLAIMER, 2)
        bare = wait_for_history(mesh, BARE, 2)
        # A product that stops answering fails on its next round (its stale copy is not
        # certified), the evidence says why without a host; the round goes on for others.
        mesh.stop(dirs[1].name)
        down = wait_for(mesh, BARE, lambda c: "unavailable" in c["report"][0]["evidence"])
        wait_for_history(mesh, CLAIMER, len(claimer["history"]) + 2)
    assert down["status"] == "NOT_COMPLIANT" and down["level"] is None
    for item in down["report"]:
        assert item["source"] == "MESH" and item["passed"] is False  # no claim either
        assert item["evidence"].startswith("no valid descriptor: metadata unavailable (UPSTREAM_")
        assert "127.0.0.1" not in item["evidence"]
    assert [r["policy"] for r in claimer["report"] if r["source"] == "MESH"] == [
        "licence", "owner", "described", "quality",
    ]  # fmt: skip
    # The claimer meets listed and owned; its 3 last results are fewer than the 5 needed.
    assert claimer["level"] == "owned"
    quality = next(r for r in claimer["report"] if r["policy"] == "quality")
    assert quality["passed"] is False
    assert quality["evidence"] == "3 judged results in the last 3, 5 needed"
    # The bare product has a licence but no owner: the lowest level only.
    assert (bare["status"], bare["level"]) == ("NOT_COMPLIANT", "listed")
    assert all(h["level"] == "listed" for h in bare["history"])
