"""A real change reaches a live subscriber: a demo product paused through its own control
route changes its health at the next refresh, and the event is pushed over the
WebSocket to the subscribers of that product and of every product downstream of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.identity import TestIssuer
from tests.live.conftest import Gateway, register, serve_gateway, start_kits
from tests.live.subscriber import EVENTS, Subscriber, event_of

Mesh = tuple[Gateway, dict[str, str], dict[str, str]]


@pytest.fixture
def mesh(
    tmp_path: Path, issuer: TestIssuer
) -> Iterator[tuple[Gateway, dict[str, str], dict[str, str]]]:
    with (
        start_kits() as kits,
        serve_gateway(
            tmp_path,
            issuer,
            health_refresh_seconds=3600.0,  # the test drives the refreshes
        ) as gateway,
    ):
        ids = register(gateway, kits)
        gateway.call(gateway.services.health.refresh)  # the first verdicts: the baseline
        yield gateway, kits, ids


def test_a_paused_source_is_told_to_its_own_and_to_downstream_subscribers(
    mesh: Mesh,
) -> None:
    gateway, kits, ids = mesh
    us, world = ids["us-precipitation"], ids["global-precipitation"]
    token = gateway.bearer("ana", ("analyst",))
    with (
        Subscriber(gateway.base, query=EVENTS, header=token,
                   variables={"products": [us], "upstream": False}) as own,
        Subscriber(gateway.base, query=EVENTS, header=token,
                   variables={"products": ["precipitation.global-precipitation"]}) as below,
        Subscriber(gateway.base, query=EVENTS, header=token,
                   variables={"products": [world], "upstream": False}) as narrow,
    ):  # fmt: skip
        for client in (own, below, narrow):
            client.expect("ack")
        gateway.wait_subscribers(3)
        paused = httpx.post(f"{kits['us-precipitation']}/control/pause",
                            headers={"Authorization": "Bearer t"}, timeout=10)  # fmt: skip
        paused.raise_for_status()
        gateway.call(gateway.services.health.refresh)

        told = event_of(own.expect("next"))
        assert (told["kind"], told["productId"], told["upstreamOf"]) == ("HEALTH", us, [])
        assert (told["data"]["before"], told["data"]["after"]) == ("UP", "PAUSED")
        assert "PRODUCT_PAUSED" in told["data"]["reasons"]
        # The subscriber of the global product hears its source's degradation, once.
        upstream = event_of(below.expect("next"))
        assert (upstream["id"], upstream["upstreamOf"]) == (told["id"], [world])
        # Without `upstream`, only the global product's own events are heard.
        assert narrow.quiet(0.5) == []

        resumed = httpx.post(f"{kits['us-precipitation']}/control/resume",
                             headers={"Authorization": "Bearer t"}, timeout=10)  # fmt: skip
        resumed.raise_for_status()
        gateway.call(gateway.services.health.refresh)
        back = event_of(own.expect("next"))
        assert (back["data"]["before"], back["data"]["after"]) == ("PAUSED", "UP")
        # A recovery upstream is no degradation: downstream subscribers are not told.
        assert below.quiet(0.5) == []
