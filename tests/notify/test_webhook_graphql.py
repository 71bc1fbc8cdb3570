"""Webhooks through the graph, against a real mesh (demo kits and the gateway under
uvicorn): who may subscribe, see and unsubscribe; hostile webhook URLs refused with their
stable code; and a degrading product's downstream subscribers told, end to end."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import DEMO, Mesh, start_mesh
from tests.notify.receiver import Receiver
from tests.notify.webhook_setup import verifies

US, FRANCE, GLOBAL = "us-precipitation", "france-precipitation", "global-precipitation"
PUBLIC_HOOK = "https://93.184.215.14/hook"  # a public address: allowed, never called here

SUBSCRIBE = """
mutation($p: ID!, $w: String!, $k: [EventKind!]) {
  subscribe(product: $p, webhook: $w, kinds: $k) { id productId webhook kinds subscriber secret }
}"""
MINE = """{ webhookSubscriptions { id subscriber secret product { key }
  deliveries(first: 10) { items { id kind reason path status attempts lastStatus event }
                          hasNextPage } } }"""
UNSUBSCRIBE = "mutation($id: ID!) { unsubscribe(id: $id) { id } }"


def _code(answer: dict[str, Any]) -> str:
    assert answer.get("errors"), answer
    return str(answer["errors"][0]["extensions"]["code"])


def _as(mesh: Mesh, subject: str, roles: tuple[str, ...] = ("reader",)) -> dict[str, str]:
    assert mesh.issuer is not None
    return mesh.issuer.headers(subject, roles)


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    """One product, the operator's default webhook policy (public addresses only)."""
    tmp = tmp_path_factory.mktemp("strict")
    with start_mesh(tmp, [DEMO / US], health_refresh_seconds=3600.0) as mesh:
        yield mesh


def _us(mesh: Mesh) -> str:
    answer = mesh.query('{ product(id: "precipitation.us-precipitation") { id } }')
    return str(answer["data"]["product"]["id"])


@pytest.mark.parametrize(
    ("webhook", "code"),
    [
        ("http://127.0.0.1:8080/hook", "WEBHOOK_ADDRESS_REFUSED"),
        ("http://169.254.169.254/latest/meta-data/", "WEBHOOK_ADDRESS_REFUSED"),
        ("http://10.1.2.3/hook", "WEBHOOK_ADDRESS_REFUSED"),
        ("http://[::1]/hook", "WEBHOOK_ADDRESS_REFUSED"),
        ("http://[::ffff:127.0.0.1]/hook", "WEBHOOK_ADDRESS_REFUSED"),
        ("http://localhost/hook", "WEBHOOK_ADDRESS_REFUSED"),
        ("file:///etc/passwd", "WEBHOOK_INVALID"),
        ("gopher://93.184.215.14/", "WEBHOOK_INVALID"),
        ("https://user:hunter2@93.184.215.14/hook", "WEBHOOK_INVALID"),
    ],
)
def test_a_hostile_webhook_is_refused(strict: Mesh, webhook: str, code: str) -> None:
    answer = strict.query(SUBSCRIBE, {"p": _us(strict), "w": webhook}, headers=_as(strict, "eve"))
    assert _code(answer) == code
    message = answer["errors"][0]["message"]
    assert "hunter2" not in message and "127.0.0.1" not in message and "169.254" not in message
    assert strict.query(MINE, headers=_as(strict, "eve"))["data"] == {"webhookSubscriptions": []}
    audit = """query($p: ID!) { product(id: $p) { audit(first: 1) { edges { node {
        action outcome detail actor { subject } } } } } }"""
    [last] = strict.query(audit, {"p": _us(strict)})["data"]["product"]["audit"]["edges"]
    assert last["node"] == {
        "action": "webhook.subscribe", "outcome": code, "detail": "", "actor": {"subject": "eve"},
    }  # fmt: skip


def test_an_anonymous_caller_may_not_subscribe_or_list(strict: Mesh) -> None:
    answer = strict.query(SUBSCRIBE, {"p": _us(strict), "w": PUBLIC_HOOK}, headers={})
    assert _code(answer) == "UNAUTHENTICATED"
    assert _code(strict.query(MINE, headers={})) == "UNAUTHENTICATED"


def test_an_unknown_product_or_no_kinds_are_refused(strict: Mesh) -> None:
    answer = strict.query(SUBSCRIBE, {"p": "nope", "w": PUBLIC_HOOK}, headers=_as(strict, "eve"))
    assert _code(answer) == "PRODUCT_NOT_FOUND"
    empty = {"p": _us(strict), "w": PUBLIC_HOOK, "k": []}
    assert _code(strict.query(SUBSCRIBE, empty, headers=_as(strict, "eve"))) == "BAD_REQUEST"


def test_a_caller_sees_and_removes_only_their_own_subscriptions(strict: Mesh) -> None:
    product = _us(strict)
    made = strict.query(SUBSCRIBE, {"p": product, "w": PUBLIC_HOOK}, headers=_as(strict, "bob"))
    bobs = made["data"]["subscribe"]
    assert bobs["secret"].startswith("whsec_") and bobs["subscriber"] == "bob"
    assert bobs["kinds"] == ["HEALTH", "CERTIFICATION", "CONTRACT", "ISSUE", "RATING"]
    listed = strict.query(MINE, headers=_as(strict, "bob"))["data"]["webhookSubscriptions"]
    assert [(s["id"], s["secret"]) for s in listed] == [(bobs["id"], None)]  # shown once only
    assert listed[0]["product"] == {"key": "precipitation.us-precipitation"}
    mallory = _as(strict, "mallory")
    assert strict.query(MINE, headers=mallory)["data"] == {"webhookSubscriptions": []}
    answer = strict.query(UNSUBSCRIBE, {"id": bobs["id"]}, headers=mallory)
    assert _code(answer) == "SUBSCRIPTION_NOT_FOUND"
    admin = strict.query(MINE)["data"]["webhookSubscriptions"]
    assert bobs["id"] in [s["id"] for s in admin]
    gone = strict.query(UNSUBSCRIBE, {"id": bobs["id"]}, headers=_as(strict, "bob"))
    assert gone["data"]["unsubscribe"]["id"] == bobs["id"]
    assert strict.query(MINE, headers=_as(strict, "bob"))["data"] == {"webhookSubscriptions": []}
    audit = """query($p: ID!) { product(id: $p) { audit(first: 20) { edges { node {
        action outcome detail actor { subject } } } } } }"""
    events = [
        e["node"] for e in strict.query(audit, {"p": product})["data"]["product"]["audit"]["edges"]
    ]
    mine = [(e["action"], e["outcome"]) for e in events if e["actor"]["subject"] == "bob"]
    assert mine == [("webhook.unsubscribe", "ok"), ("webhook.subscribe", "ok")]
    assert all(PUBLIC_HOOK not in e["detail"] for e in events)  # never the URL


def test_the_subscriptions_per_caller_are_limited(tmp_path: Path) -> None:
    with start_mesh(
        tmp_path, [DEMO / US], notify_max_subscriptions_per_caller=2,
        health_refresh_seconds=3600.0,
    ) as mesh:  # fmt: skip
        product, who = _us(mesh), _as(mesh, "greedy")
        for _ in range(2):
            assert "errors" not in mesh.query(
                SUBSCRIBE, {"p": product, "w": PUBLIC_HOOK}, headers=who
            )
        answer = mesh.query(SUBSCRIBE, {"p": product, "w": PUBLIC_HOOK}, headers=who)
        assert _code(answer) == "TOO_MANY_SUBSCRIPTIONS"


def _baseline_recorded(db: Path, product_id: str) -> bool:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT state FROM notify_states WHERE kind = 'health' AND product_id = ?",
            (product_id,),
        ).fetchone()
    return row is not None and row[0] == "UP"


def _wait(condition: Any, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.05)


def test_a_degrading_product_tells_every_downstream_subscriber(tmp_path: Path) -> None:
    receiver = Receiver()
    dirs = [DEMO / US, DEMO / FRANCE, DEMO / GLOBAL]
    with running(receiver) as hook, start_mesh(
        tmp_path, dirs, notify_webhook_allowed_networks=LOOPBACK_ONLY,
        health_refresh_seconds=0.5, notify_webhook_backoff_seconds=0.05,
        notify_delivery_poll_seconds=0.2,
    ) as mesh:  # fmt: skip
        ids = {
            name: mesh.query(f'{{ product(id: "precipitation.{name}") {{ id }} }}')["data"][
                "product"
            ]["id"]
            for name in (US, FRANCE, GLOBAL)
        }
        people = {US: "dave", FRANCE: "erin", GLOBAL: "carol"}
        secrets = {}
        for name, who in people.items():
            made = mesh.query(
                SUBSCRIBE, {"p": ids[name], "w": f"{hook}/{who}", "k": ["HEALTH"]},
                headers=_as(mesh, who),
            )  # fmt: skip
            secrets[who] = made["data"]["subscribe"]["secret"]
        _wait(lambda: _baseline_recorded(tmp_path / "registry.db", ids[US]), "the US baseline")
        httpx.post(
            f"{mesh.products[US]}/control/pause", headers={"authorization": "Bearer t"}
        ).raise_for_status()
        _wait(lambda: receiver.requests("/carol") and receiver.requests("/dave"), "both told")
        [to_carol] = receiver.requests("/carol")
        assert verifies(secrets["carol"], to_carol.headers, to_carol.body)
        told = json.loads(to_carol.body)
        assert (told["productId"], told["data"]["after"]) == (ids[US], "PAUSED")
        assert receiver.requests("/erin") == []  # France is not downstream of the US
        log = mesh.query(MINE, headers=_as(mesh, "carol"))["data"]["webhookSubscriptions"]
        [delivery] = log[0]["deliveries"]["items"]
        assert delivery["reason"] == "UPSTREAM" and delivery["status"] == "DELIVERED"
        assert delivery["path"] == [
            "precipitation.us-precipitation", "precipitation.global-precipitation",
        ]  # fmt: skip
        impact = """query($of: ID!) { impact(of: $of) { subscribers { kind name url } } }"""
        seen = mesh.query(impact, {"of": ids[US]})["data"]["impact"]["subscribers"]
        hooks = [s for s in seen if s["kind"] == "webhook"]
        assert {s["name"] for s in hooks} == {"dave", "carol"}
        assert all(s["url"] is None for s in hooks)
        as_erin = mesh.query(impact, {"of": ids[US]}, headers=_as(mesh, "erin"))
        assert [s for s in as_erin["data"]["impact"]["subscribers"] if s["kind"] == "webhook"] == []
