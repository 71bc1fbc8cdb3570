"""Live subscriptions over WebSocket (graphql-transport-ws) with the reference client:
who may connect, what each caller hears, and the limits."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from gateway.notify import HEALTH, ISSUE, RATING, MeshEvent
from gateway.settings import Settings
from tests.fixtures.identity import TestIssuer
from tests.live.conftest import Gateway, register, serve_gateway
from tests.live.subscriber import EVENTS, Subscriber, event_of, ws_url

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, issuer: TestIssuer, kits: dict[str, str]
) -> Iterator[Gateway]:
    with serve_gateway(
        tmp_path_factory.mktemp("gw"), issuer,
        health_refresh_seconds=3600.0,  # these tests publish their own events
        ws_max_products=2, ws_max_subscriptions_per_connection=2,
        ws_max_subscriptions_per_caller=3, ws_connection_init_seconds=1.0, ws_queue_size=5,
        ws_max_connections_per_caller=3,
    ) as started:  # fmt: skip
        started.ids = register(started, kits)
        yield started


def test_served_on_the_event_loop_meshgate_serve_runs(gateway: Gateway) -> None:
    # Whatever the tests below show holds on the loop an operator's gateway runs on.
    loop = gateway.wrapped.loop
    assert loop is not None
    assert type(loop).__module__.split(".")[0] == Settings().event_loop, type(loop)


def _publish(gateway: Gateway, event: MeshEvent) -> None:
    gateway.call(lambda: gateway.services.notifier.publish(event))


def _event(kind: str, product_id: str, key: str, **data: object) -> MeshEvent:
    return MeshEvent(kind, product_id, key, AT, f"{key}: {kind}", data)


def test_a_signed_in_caller_hears_the_events_of_its_products(gateway: Gateway) -> None:
    us = gateway.ids["us-precipitation"]
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


@pytest.mark.parametrize(
    "credentials",
    [
        {},  # anonymous
        {"header": "Bearer not-a-token"},
        {"payload": {"Authorization": "Bearer not-a-token"}},
        {"payload": {"Authorization": 42}},
        {"header": "Basic YW5hOnB3"},
    ],
    ids=["anonymous", "bad-header", "bad-payload", "not-a-string", "not-bearer"],
)
def test_an_unidentified_connection_is_closed_with_4403(
    gateway: Gateway, credentials: dict[str, object]
) -> None:
    us = gateway.ids["us-precipitation"]
    with Subscriber(gateway.base, query=EVENTS, variables={"products": [us]}, **credentials) as c:
        closed = c.expect("closed")
    assert (closed["code"], closed["reason"]) == (4403, "Forbidden")


def test_the_token_may_come_in_connection_init_but_not_twice(gateway: Gateway) -> None:
    us = gateway.ids["us-precipitation"]
    token = gateway.bearer("ana")
    payload = {"Authorization": token}
    with Subscriber(gateway.base, payload=payload) as client:
        client.expect("ack")
    with Subscriber(gateway.base, header=token, payload=payload) as client:
        assert client.expect("closed")["code"] == 4403
    before = gateway.services.notifier.bus.subscribers
    with Subscriber(
        gateway.base, query=EVENTS, variables={"products": [us]}, payload=payload
    ) as client:
        client.expect("ack")
        gateway.wait_subscribers(before + 1)


def _refusal(client: Subscriber) -> dict[str, object]:
    line = client.expect("error")
    [error] = line["errors"]
    extensions: dict[str, object] = error["extensions"]
    return extensions


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"products": ["precipitation.nowhere"]}, "PRODUCT_NOT_FOUND"),
        ({"products": ["urn:no-such-id"]}, "PRODUCT_NOT_FOUND"),
        ({"products": []}, "BAD_REQUEST"),
        ({"products": ["a", "b", "c"]}, "BAD_REQUEST"),  # ws_max_products=2
    ],
    ids=["unknown-key", "unknown-id", "none", "too-many"],
)
def test_a_subscription_to_products_it_may_not_name_is_refused(
    gateway: Gateway, variables: dict[str, object], code: str
) -> None:
    with Subscriber(
        gateway.base, query=EVENTS, variables=variables, header=gateway.bearer("ana")
    ) as client:
        client.expect("ack")
        assert _refusal(client)["code"] == code


def test_feedback_goes_to_the_owners_of_the_domain_only(gateway: Gateway) -> None:
    us = gateway.ids["us-precipitation"]
    key = "precipitation.us-precipitation"
    variables = {"products": [key], "upstream": False}
    before = gateway.services.notifier.bus.subscribers
    with (
        Subscriber(gateway.base, query=EVENTS, variables=variables,
                   header=gateway.bearer("reader", ("analyst",))) as reader,
        Subscriber(gateway.base, query=EVENTS, variables=variables,
                   header=gateway.bearer("olga", ("owner:precipitation",))) as owner,
    ):  # fmt: skip
        reader.expect("ack")
        owner.expect("ack")
        gateway.wait_subscribers(before + 2)
        issue = _event(ISSUE, us, key, severity="high", text="gaps", by="x")
        rating = _event(RATING, us, key, stars=1, comment="", by="x")
        health = _event(HEALTH, us, key, before="UP", after="DEGRADED")
        for event in (issue, rating, health):
            _publish(gateway, event)
        assert [event_of(owner.expect("next"))["id"] for _ in range(3)] == [
            issue.id, rating.id, health.id,
        ]  # fmt: skip
        # The reader hears the health change and nothing of the feedback.
        assert event_of(reader.expect("next"))["id"] == health.id
        assert reader.quiet(0.3) == []
    # Asking for feedback by name on a product one does not own is refused.
    asked = {**variables, "kinds": ["HEALTH", "ISSUE"]}
    with Subscriber(
        gateway.base, query=EVENTS, variables=asked, header=gateway.bearer("reader")
    ) as client:
        client.expect("ack")
        refused = _refusal(client)
        assert (refused["code"], refused["productId"]) == ("FORBIDDEN", us)


def test_kinds_narrow_what_is_heard(gateway: Gateway) -> None:
    us = gateway.ids["us-precipitation"]
    key = "precipitation.us-precipitation"
    variables = {"products": [us], "kinds": ["CONTRACT"], "upstream": False}
    before = gateway.services.notifier.bus.subscribers
    with Subscriber(
        gateway.base, query=EVENTS, variables=variables, header=gateway.bearer("ana")
    ) as client:
        client.expect("ack")
        gateway.wait_subscribers(before + 1)
        _publish(gateway, _event(HEALTH, us, key, before="UP", after="DOWN"))
        contract = _event("contract", us, key, added=["c@2.0.0"], flags=[])
        _publish(gateway, contract)
        got = event_of(client.expect("next"))
        assert (got["id"], got["kind"]) == (contract.id, "CONTRACT")


def test_subscriptions_per_connection_and_per_caller_are_bounded(gateway: Gateway) -> None:
    us = gateway.ids["us-precipitation"]
    variables = {"products": [us]}
    token = gateway.bearer("many")
    before = gateway.services.notifier.bus.subscribers
    # ws_max_subscriptions_per_connection=2: the third on one connection is refused.
    with Subscriber(
        gateway.base, query=EVENTS, variables=variables, header=token, subscriptions=3
    ) as first:
        first.expect("ack")
        refused = _refusal(first)
        assert refused["code"] == "TOO_MANY_SUBSCRIPTIONS"
        gateway.wait_subscribers(before + 2)
        # ws_max_subscriptions_per_caller=3: a second connection gets one more, not two.
        with Subscriber(
            gateway.base, query=EVENTS, variables=variables, header=token, subscriptions=2
        ) as second:
            second.expect("ack")
            assert _refusal(second)["code"] == "TOO_MANY_SUBSCRIPTIONS"
            gateway.wait_subscribers(before + 3)
            # Another caller is not concerned.
            with Subscriber(
                gateway.base, query=EVENTS, variables=variables, header=gateway.bearer("other")
            ) as other:
                other.expect("ack")
                gateway.wait_subscribers(before + 4)
    gateway.wait_subscribers(before)
    assert gateway.services.notifier.live.seats.held("caller:user:meshgate-test:many") == 0


def test_a_slow_reader_loses_the_oldest_events_and_is_told_how_many(gateway: Gateway) -> None:
    us = gateway.ids["us-precipitation"]
    key = "precipitation.us-precipitation"
    size = gateway.services.settings.ws_queue_size
    before = gateway.services.notifier.bus.subscribers
    variables = {"products": [us], "upstream": False}
    with Subscriber(
        gateway.base, query=EVENTS, variables=variables, header=gateway.bearer("ana")
    ) as client:
        client.expect("ack")
        gateway.wait_subscribers(before + 1)
        burst = [_event(HEALTH, us, key, before="UP", after="DOWN") for _ in range(size + 3)]

        async def flood() -> None:  # all at once: the sender cannot read in between
            for event in burst:
                await gateway.services.notifier.bus.publish(event)

        gateway.call(flood)
        first = event_of(client.expect("next"))
        assert (first["id"], first["dropped"]) == (burst[3].id, 3)
        second = event_of(client.expect("next"))
        assert (second["id"], second["dropped"]) == (burst[4].id, 0)


def test_the_websocket_carries_subscriptions_only_and_http_none(gateway: Gateway) -> None:
    with Subscriber(gateway.base, query="{ __typename }", header=gateway.bearer("ana")) as c:
        c.expect("ack")
        assert _refusal(c)["code"] == "WRONG_TRANSPORT"
    us = gateway.ids["us-precipitation"]
    answer = httpx.post(
        f"{gateway.base}/graphql",
        json={"query": EVENTS, "variables": {"products": [us]}},
        headers={"Authorization": gateway.bearer("ana"), "Accept": "multipart/mixed"},
        timeout=10,
    )
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "WRONG_TRANSPORT"


def _connect(gateway: Gateway, **options: Any) -> ClientConnection:
    options.setdefault("subprotocols", ["graphql-transport-ws"])
    return connect(ws_url(gateway.base), open_timeout=10, **options)


def test_a_connection_that_does_not_init_in_time_is_closed(gateway: Gateway) -> None:
    # ws_connection_init_seconds=1.0
    with _connect(gateway) as socket, pytest.raises(ConnectionClosed) as closed:
        socket.recv(timeout=15)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408


def test_the_legacy_graphql_ws_protocol_is_refused(gateway: Gateway) -> None:
    with (
        _connect(gateway, subprotocols=["graphql-ws"]) as socket,
        pytest.raises(ConnectionClosed) as closed,
    ):
        socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        socket.recv(timeout=15)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4406


def test_a_page_of_another_origin_cannot_open_a_websocket(gateway: Gateway) -> None:
    with pytest.raises(InvalidStatus) as refused:
        _connect(gateway, origin="https://elsewhere.example")
    assert refused.value.response.status_code == 403
    with _connect(gateway, origin=gateway.base) as socket:  # the gateway's own pages may
        socket.send(json.dumps({"type": "connection_init", "payload": {
            "Authorization": gateway.bearer("ana")}}))  # fmt: skip
        assert json.loads(socket.recv(timeout=15))["type"] == "connection_ack"


def test_wrong_credentials_on_websockets_spend_the_address_budget(
    tmp_path: Path, issuer: TestIssuer
) -> None:
    with serve_gateway(tmp_path, issuer, auth_failures_per_minute=2) as gw:
        for _ in range(2):
            with Subscriber(gw.base, header="Bearer wrong") as client:
                assert client.expect("closed")["code"] == 4403
        # Past the budget, even a good token from that address is refused at the door.
        with pytest.raises(InvalidStatus):
            _connect(gw)


def test_a_websocket_meets_the_body_cap_and_a_message_rate(
    tmp_path: Path, issuer: TestIssuer
) -> None:
    with serve_gateway(tmp_path, issuer, max_body_bytes=4096, rate_limit_per_minute=5) as gw:
        init = json.dumps({"type": "connection_init", "payload": {
            "Authorization": gw.bearer("ana")}})  # fmt: skip
        with _connect(gw) as socket:
            socket.send(init)
            assert json.loads(socket.recv(timeout=15))["type"] == "connection_ack"
            with pytest.raises(ConnectionClosed) as closed:
                socket.send(json.dumps({"type": "ping", "payload": {"pad": "x" * 5000}}))
                socket.recv(timeout=15)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        with _connect(gw) as socket:
            socket.send(init)
            assert json.loads(socket.recv(timeout=15))["type"] == "connection_ack"
            for _ in range(4):  # 5 messages a minute: the init and 4 pings
                socket.send(json.dumps({"type": "ping"}))
                assert json.loads(socket.recv(timeout=15))["type"] == "pong"
            with pytest.raises(ConnectionClosed) as closed:
                socket.send(json.dumps({"type": "ping"}))
                socket.recv(timeout=15)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def test_a_caller_holds_a_bounded_number_of_websockets(gateway: Gateway) -> None:
    token = gateway.bearer("sockets")
    seats = gateway.services.notifier.live.seats
    key = "sockets:user:meshgate-test:sockets"
    with (
        Subscriber(gateway.base, header=token) as first,
        Subscriber(gateway.base, header=token) as second,
        Subscriber(gateway.base, header=token) as third,
    ):
        for client in (first, second, third):
            client.expect("ack")
        # ws_max_connections_per_caller=3: a fourth is closed at its connection_init.
        with Subscriber(gateway.base, header=token) as fourth:
            assert fourth.expect("closed")["code"] == 4403
        with Subscriber(gateway.base, header=gateway.bearer("someone-else")) as other:
            other.expect("ack")
        second.close()
        deadline = time.monotonic() + 20
        while seats.held(key) != 2:  # the server gives the seat back when the socket ends
            assert time.monotonic() < deadline, seats.held(key)
            time.sleep(0.01)
        with Subscriber(gateway.base, header=token) as again:
            again.expect("ack")
