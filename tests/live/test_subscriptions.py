"""Live subscriptions over WebSocket (graphql-transport-ws) with the reference client:
who may connect, what each caller hears, and the limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.notify import HEALTH, ISSUE, RATING, MeshEvent
from tests.fixtures.identity import TestIssuer
from tests.live.conftest import Gateway, register, serve_gateway
from tests.live.subscriber import EVENTS, Subscriber, event_of

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, issuer: TestIssuer, kits: dict[str, str]
) -> Iterator[Gateway]:
    with serve_gateway(
        tmp_path_factory.mktemp("gw"), issuer,
        health_refresh_seconds=3600.0,  # these tests publish their own events
        ws_max_products=2, ws_max_subscriptions_per_connection=2,
        ws_max_subscriptions_per_caller=3, ws_connection_init_seconds=1.0,
    ) as started:  # fmt: skip
        started.ids = register(started, kits)  # type: ignore[attr-defined]
        yield started


def _publish(gateway: Gateway, event: MeshEvent) -> None:
    gateway.call(lambda: gateway.services.notifier.publish(event))


def _event(kind: str, product_id: str, key: str, **data: object) -> MeshEvent:
    return MeshEvent(kind, product_id, key, AT, f"{key}: {kind}", data)


def test_a_signed_in_caller_hears_the_events_of_its_products(gateway: Gateway) -> None:
    us = gateway.ids["us-precipitation"]  # type: ignore[attr-defined]
    before = gateway.services.notifier.bus.subscribers
    variables = {"products": [us], "upstream": False}
    with Subscriber(
        gateway.base, query=EVENTS, variables=variables, header=gateway.bearer("ana")
    ) as client:
        client.expect("ack")
        gateway.wait_subscribers(before + 1)
        sent = _event(HEALTH, us, "precipitation.us-precipitation", before="UP", after="DOWN")
        _publish(gateway, sent)
        got = event_of(client.expect("next"))
        assert got == {
            "id": sent.id, "kind": "HEALTH", "productId": us,
            "productKey": "precipitation.us-precipitation", "at": "2026-12-01T12:00:00+00:00",
            "summary": sent.summary, "data": {"before": "UP", "after": "DOWN"},
            "upstreamOf": [], "dropped": 0,
        }  # fmt: skip
    gateway.wait_subscribers(before)  # the subscription ended with the connection
