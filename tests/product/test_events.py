"""Event subscriptions: a second real server receives the product's state changes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.product.builders import PRODUCT_ID, ROWS, write_parquet
from tests.product.conftest import auth


@dataclass
class Receiver:
    """A tiny webhook server that records what is POSTed to it."""

    url: str
    events: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.events) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.events)} events arrived, expected {count}")
                self.arrived.wait(left)
            return list(self.events)


def start_receiver(serve_app: Callable[[Any], str]) -> Receiver:
    """A webhook server of its own, listening on 127.0.0.1."""
    holder: list[Receiver] = []

    async def hook(request: Request) -> Response:
        rec = holder[0]
        body = await request.json()
        with rec.arrived:
            rec.events.append(body)
            rec.arrived.notify_all()
        return JSONResponse({"ok": True})

    base = serve_app(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))
    holder.append(Receiver(f"{base}/hook"))
    return holder[0]


@pytest.fixture
def receiver(serve_app: Callable[[Any], str]) -> Receiver:
    return start_receiver(serve_app)


def test_state_changes_reach_subscribers(client: httpx.Client, receiver: Receiver) -> None:
    created = client.post(
        "/observe/events/subscriptions", json={"endpoint": receiver.url, "events": ["*"]}
    )
    assert created.status_code == 201
    sub = created.json()
    assert (sub["endpoint"], sub["events"]) == (receiver.url, ["*"])
    client.post("/control/pause", headers=auth())
    client.post("/control/pause", headers=auth())  # no change, no event
    client.post("/control/resume", headers=auth())
    events = receiver.wait_for(2)
    assert [(e["type"], e["data"]["from"], e["data"]["to"]) for e in events] == [
        ("product.stateChanged", "running", "paused"),
        ("product.stateChanged", "paused", "running"),
    ]
    assert all(e["productId"] == PRODUCT_ID for e in events)
    # A later event is the sign that everything published before it has been sent: had
    # the repeated pause published an event, it would show up before this one.
    client.post("/control/pause", headers=auth())
    assert [e["data"]["to"] for e in receiver.wait_for(3)] == ["paused", "running", "paused"]
    listed = client.get("/observe/events/subscriptions", headers=auth(sub["secret"]))
    assert [(s["id"], s["failed"]) for s in listed.json()["subscriptions"]] == [(sub["id"], 0)]
    assert len(receiver.events) == 3


def test_subscribers_get_only_the_types_they_asked_for(
    client: httpx.Client, receiver: Receiver
) -> None:
    client.post(
        "/observe/events/subscriptions",
        json={"endpoint": receiver.url, "events": ["product.configured"]},
    )
    client.post("/control/pause", headers=auth())
    client.post("/control/configure", json={"tags": ["x"]}, headers=auth())
    events = receiver.wait_for(1)
    # A second configured event fences the first: the pause published before either
    # would have arrived by then.
    client.post("/control/configure", json={"tags": ["y"]}, headers=auth())
    receiver.wait_for(2)
    assert [(e["type"], e["data"]["tags"]) for e in receiver.events] == [
        ("product.configured", ["x"]),
        ("product.configured", ["y"]),
    ]
    description = client.get("/discover/metadata").json()["description"]
    assert events[0]["data"] == {"description": description, "tags": ["x"]}


def test_unsubscribe_stops_delivery(
    client: httpx.Client, receiver: Receiver, serve_app: Callable[[Any], str]
) -> None:
    sub = client.post("/observe/events/subscriptions", json={"endpoint": receiver.url}).json()
    path = f"/observe/events/subscriptions/{sub['id']}"
    assert client.delete(path, headers=auth(sub["secret"])).status_code == 200
    # The secret of a deleted subscription opens nothing any more.
    assert client.delete(path, headers=auth(sub["secret"])).status_code == 403
    assert client.delete(path, headers=auth()).status_code == 404
    # A subscriber made after the deleted one hears the pause: its delivery is the sign
    # that the deleted one's, published first, would have been sent too.
    still = start_receiver(serve_app)
    client.post("/observe/events/subscriptions", json={"endpoint": still.url})
    client.post("/control/pause", headers=auth())
    assert [e["data"]["to"] for e in still.wait_for(1)] == ["paused"]
    assert receiver.events == []


@pytest.mark.parametrize(
    "body",
    [
        {"endpoint": "ftp://example.org/x"},
        {"endpoint": "not a url"},
        {"endpoint": "http://"},
        {"endpoint": "http://127.0.0.1:99999/x"},
        {"endpoint": 42},
        {},
        {"endpoint": "http://127.0.0.1/x", "events": ["nope"]},
        {"endpoint": "http://127.0.0.1/x", "events": "*"},
    ],
)
def test_subscriptions_need_an_http_endpoint_and_known_events(
    client: httpx.Client, body: dict[str, Any]
) -> None:
    answer = client.post("/observe/events/subscriptions", json=body)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "BAD_REQUEST")


def test_a_dead_subscriber_is_counted_not_fatal(client: httpx.Client) -> None:
    from tests.product.test_discover import closed_port_url

    made = client.post(
        "/observe/events/subscriptions", json={"endpoint": f"{closed_port_url()}/x"}
    ).json()
    assert client.post("/control/pause", headers=auth()).status_code == 200
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        sub = client.get(f"/observe/events/subscriptions/{made['id']}", headers=auth()).json()
        if sub["failed"]:
            break
        time.sleep(0.05)
    assert sub["failed"] == 1 and sub["lastError"]


def test_certification_subscribers_hear_when_the_threshold_is_crossed(
    client: httpx.Client, receiver: Receiver, product_dir: Path
) -> None:
    client.get("/certify/status")  # the product knows its status: NOT COMPLIANT
    sub = client.post("/certify/subscribe", json={"endpoint": receiver.url, "threshold": 1})
    assert sub.status_code == 201 and sub.json()["threshold"] == 1.0
    clean = [{**r, "data_value": min(r["data_value"], 499.0)} for r in ROWS]
    write_parquet(product_dir.parent / "data" / "air_quality.parquet", clean)
    assert client.get("/certify/status").json()["status"] == "OK"
    event = receiver.wait_for(1)[0]
    assert event["type"] == "certification.changed"
    assert event["data"]["status"] == "OK" and event["data"]["met"] is True
    assert event["data"]["previousStatus"] == "NOT COMPLIANT"


@pytest.mark.parametrize("threshold", [-0.1, 1.5, "all", True])
def test_certification_threshold_is_a_share(client: httpx.Client, threshold: Any) -> None:
    answer = client.post(
        "/certify/subscribe", json={"endpoint": "http://127.0.0.1/x", "threshold": threshold}
    )
    assert answer.status_code == 400
