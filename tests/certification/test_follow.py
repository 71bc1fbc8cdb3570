"""Certification follows the registry: a product is evaluated when it is registered (not
an interval later), and the first round, soon after start, evaluates only the products
that are due, so a restart does not re-certify the whole mesh."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from gateway.services import close_services, open_services
from gateway.settings import Settings
from productkit.http.app import create_product_app
from tests.certification import products
from tests.certification.mesh import CERTIFIED, certification_mesh, wait_certified
from tests.certification.test_graph import BARE, CLAIMER
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running


def test_a_product_is_certified_when_registered_not_an_interval_later(tmp_path: Path) -> None:
    dirs = [products.bare(tmp_path / "bare")]
    # No round for the whole test: an evaluation can only come from the registration.
    with certification_mesh(
        tmp_path, dirs, f"sqlite:///{tmp_path / 'registry.db'}",
        certification_interval_seconds=3600.0, certification_first_round_seconds=3600.0,
    ) as mesh:  # fmt: skip
        found = wait_certified(mesh, BARE)
        assert found["status"] == "NOT_COMPLIANT" and len(found["history"]) == 1
        # Refreshed, it is evaluated again.
        answer = mesh.query("mutation($p: ID!) { refreshProduct(id: $p) { id } }", {"p": BARE})
        assert "errors" not in answer, answer
        for _ in range(200):
            again = mesh.query(CERTIFIED, {"p": BARE})["data"]["product"]["certification"]
            if len(again["history"]) == 2:
                break
            time.sleep(0.1)
        assert len(again["history"]) == 2


async def _restart(tmp: Path, kits: dict[str, str]) -> tuple[int, int, int]:
    base = {
        "registry_url": f"sqlite:///{tmp / 'registry.db'}",
        "upstream_allowed_networks": LOOPBACK_ONLY,
    }
    # A first run on demand only: both registered, only the claimer certified.
    services = await open_services(Settings(**base, certification_interval_seconds=0.0))
    try:
        for kit in kits.values():
            await services.registry.register(f"{kit}/discover/metadata")
        await services.certifier.certify(await services.registry.require(CLAIMER))
        assert await services.certifier.latest(BARE) is None  # nothing on registration
    finally:
        await close_services(services)
    # Restarted with rounds every hour, the first one soon: only the bare product is due.
    services = await open_services(
        Settings(
            **base,
            certification_interval_seconds=3600.0,
            certification_first_round_seconds=0.2,
        )
    )
    try:
        certifier = services.certifier
        for _ in range(300):
            if certifier.rounds:
                break
            await asyncio.sleep(0.1)
        bare = (await certifier.history(BARE)).items
        claimer = (await certifier.history(CLAIMER)).items
        return certifier.rounds, len(bare), len(claimer)
    finally:
        await close_services(services)


def test_the_first_round_comes_soon_after_start_and_certifies_only_the_due(
    tmp_path: Path,
) -> None:
    dirs = {"claimer": products.claimer(tmp_path / "c"), "bare": products.bare(tmp_path / "b")}
    with (
        running(create_product_app(dirs["claimer"], token="t", env={})) as claimer,
        running(create_product_app(dirs["bare"], token="t", env={})) as bare,
    ):
        rounds, bare_history, claimer_history = asyncio.run(
            _restart(tmp_path, {"claimer": claimer, "bare": bare})
        )
    assert rounds == 1  # within 30 s of the start, not an hour
    assert bare_history == 1  # never certified: due
    assert claimer_history == 1  # certified a moment ago: not due, not certified again
