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


def test_a_reported_issue_reaches_the_owners_socket_and_no_one_elses(
    mesh: Mesh,
) -> None:
    gateway, _, ids = mesh
    us = ids["us-precipitation"]
    variables = {"products": [us], "upstream": False}
    reader = gateway.bearer("rita", ("analyst",))
    with (
        Subscriber(gateway.base, query=EVENTS, variables=variables,
                   header=gateway.bearer("olga", ("owner:precipitation",))) as owner,
        Subscriber(gateway.base, query=EVENTS, variables=variables, header=reader) as other,
    ):  # fmt: skip
        owner.expect("ack")
        other.expect("ack")
        gateway.wait_subscribers(2)
        answer = httpx.post(
            f"{gateway.base}/graphql",
            json={
                "query": 'mutation { reportIssue(product: "precipitation.us-precipitation", '
                'text: "March is missing", severity: HIGH) { id } }'
            },  # fmt: skip
            headers={"Authorization": reader},
            timeout=30,
        )
        assert "errors" not in answer.json(), answer.text
        told = event_of(owner.expect("next"))
        assert (told["kind"], told["productId"]) == ("ISSUE", us)
        assert (told["data"]["text"], told["data"]["by"]) == ("March is missing", "rita")
        assert other.quiet(0.5) == []  # the reporter is no owner: feedback is not theirs
