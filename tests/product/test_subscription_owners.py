"""The kit's other doors, tried as a hostile caller would (issue 6, hole 9).

A subscription belongs to whoever created it (its secret) and to the product's owner
(the control token); nobody else lists, reads or deletes it or learns its callback URL.
Creation is capped per product (409) and per client address per minute (429), and
``/certify/publish`` fans out only for the owner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from productkit.settings import KitSettings
from tests.product.conftest import auth

SUBSCRIPTIONS = "/observe/events/subscriptions"


@pytest.fixture
def kit(
    product_dir: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> Iterator[Callable[..., httpx.Client]]:
    """``kit(**settings)``: a client on the default product served with those settings."""
    clients: list[httpx.Client] = []

    def start(**settings: Any) -> httpx.Client:
        app = make_app(product_dir, settings=KitSettings(**settings))
        http = httpx.Client(base_url=serve_app(app), timeout=10)
        clients.append(http)
        return http

    yield start
    for http in clients:
        http.close()


@pytest.fixture
def two(kit: Callable[..., httpx.Client]) -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    """A client and the victim's subscription (made with its secret)."""
    http = kit()
    made = http.post(SUBSCRIPTIONS, json={"endpoint": "http://hooks.example/victim?k=1"})
    assert made.status_code == 201
    yield http, made.json()


def _code(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


def test_creating_a_subscription_returns_its_secret_once(
    two: tuple[httpx.Client, dict[str, Any]],
) -> None:
    http, victim = two
    assert len(victim["secret"]) >= 40
    mine = http.get(f"{SUBSCRIPTIONS}/{victim['id']}", headers=auth(victim["secret"]))
    assert mine.status_code == 200
    assert mine.json()["endpoint"] == "http://hooks.example/victim?k=1"
    assert "secret" not in mine.json()
    owner = http.get(SUBSCRIPTIONS, headers=auth()).json()["subscriptions"]
    assert [s["id"] for s in owner] == [victim["id"]] and "secret" not in owner[0]


def test_anonymous_callers_cannot_list_read_or_delete(
    two: tuple[httpx.Client, dict[str, Any]],
) -> None:
    http, victim = two
    one = f"{SUBSCRIPTIONS}/{victim['id']}"
    for answer in (http.get(SUBSCRIPTIONS), http.get(one), http.delete(one)):
        assert _code(answer) == (401, "UNAUTHORIZED")
        assert "hooks.example" not in answer.text
    assert http.get(one, headers=auth(victim["secret"])).status_code == 200  # still there


def test_a_wrong_token_is_forbidden(two: tuple[httpx.Client, dict[str, Any]]) -> None:
    http, victim = two
    one = f"{SUBSCRIPTIONS}/{victim['id']}"
    for guess in ("not-a-secret", victim["id"], victim["secret"][:-1]):
        for answer in (
            http.get(SUBSCRIPTIONS, headers=auth(guess)),
            http.get(one, headers=auth(guess)),
            http.delete(one, headers=auth(guess)),
        ):
            assert _code(answer) == (403, "FORBIDDEN")
            assert "hooks.example" not in answer.text


def test_a_subscriber_sees_and_deletes_only_its_own(
    two: tuple[httpx.Client, dict[str, Any]],
) -> None:
    http, victim = two
    attacker = http.post(SUBSCRIPTIONS, json={"endpoint": "http://attacker.example/x"}).json()
    theirs = auth(attacker["secret"])
    listed = http.get(SUBSCRIPTIONS, headers=theirs)
    assert [s["id"] for s in listed.json()["subscriptions"]] == [attacker["id"]]
    assert "hooks.example" not in listed.text
    one = f"{SUBSCRIPTIONS}/{victim['id']}"
    assert _code(http.get(one, headers=theirs)) == (404, "NOT_FOUND")
    assert _code(http.delete(one, headers=theirs)) == (404, "NOT_FOUND")
    assert http.get(one, headers=auth(victim["secret"])).status_code == 200
    # Its own subscription it may delete.
    mine = f"{SUBSCRIPTIONS}/{attacker['id']}"
    assert http.delete(mine, headers=theirs).status_code == 200


def test_the_owner_lists_and_deletes_every_subscription(
    two: tuple[httpx.Client, dict[str, Any]],
) -> None:
    http, victim = two
    other = http.post("/certify/subscribe", json={"endpoint": "http://b.example/x"}).json()
    assert other["secret"] and other["threshold"] == 1.0
    listed = http.get(SUBSCRIPTIONS, headers=auth()).json()["subscriptions"]
    assert {s["id"] for s in listed} == {victim["id"], other["id"]}
    assert http.delete(f"{SUBSCRIPTIONS}/{victim['id']}", headers=auth()).status_code == 200
    # The deleted subscription's secret opens nothing any more.
    gone = http.get(SUBSCRIPTIONS, headers=auth(victim["secret"]))
    assert _code(gone) == (403, "FORBIDDEN")


@pytest.mark.parametrize("path", [SUBSCRIPTIONS, "/certify/subscribe"])
def test_the_product_keeps_at_most_its_cap(kit: Callable[..., httpx.Client], path: str) -> None:
    http = kit(max_subscriptions=3, subscriptions_per_minute=100)
    for n in range(3):
        assert http.post(path, json={"endpoint": f"http://h.example/{n}"}).status_code == 201
    full = http.post(path, json={"endpoint": "http://h.example/4"})
    assert _code(full) == (409, "TOO_MANY_SUBSCRIPTIONS")
    assert "at most 3" in full.json()["error"]["message"]
    # Deleting one makes room again.
    first = http.get(SUBSCRIPTIONS, headers=auth()).json()["subscriptions"][0]
    http.delete(f"{SUBSCRIPTIONS}/{first['id']}", headers=auth())
    assert http.post(path, json={"endpoint": "http://h.example/5"}).status_code == 201


def test_one_address_creates_a_few_subscriptions_per_minute(
    kit: Callable[..., httpx.Client],
) -> None:
    http = kit(subscriptions_per_minute=2)
    for n in range(2):
        assert (
            http.post(SUBSCRIPTIONS, json={"endpoint": f"http://h.example/{n}"}).status_code == 201
        )
    limited = http.post("/certify/subscribe", json={"endpoint": "http://h.example/3"})
    assert _code(limited) == (429, "RATE_LIMITED")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert len(http.get(SUBSCRIPTIONS, headers=auth()).json()["subscriptions"]) == 2


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://h.example/" + "a" * 2048,
        "file:///etc/passwd",
        "gopher://h.example/x",
        "javascript:alert(1)",
        "http://user:pass@h.example/x",
        "http://h.example/a b",
        "http://h.example/\x00",
    ],
)
def test_callback_urls_are_http_and_short(kit: Callable[..., httpx.Client], endpoint: str) -> None:
    http = kit()
    for path in (SUBSCRIPTIONS, "/certify/subscribe"):
        answer = http.post(path, json={"endpoint": endpoint})
        assert _code(answer) == (400, "BAD_REQUEST")
    assert http.get(SUBSCRIPTIONS, headers=auth()).json()["subscriptions"] == []


def test_publish_is_for_the_owner(kit: Callable[..., httpx.Client]) -> None:
    http = kit()
    assert _code(http.post("/certify/publish")) == (401, "UNAUTHORIZED")
    assert _code(http.post("/certify/publish", headers=auth("guess"))) == (403, "FORBIDDEN")
    secret = http.post(SUBSCRIPTIONS, json={"endpoint": "http://h.example/x"}).json()["secret"]
    assert _code(http.post("/certify/publish", headers=auth(secret))) == (403, "FORBIDDEN")
    assert http.post("/certify/publish", headers=auth()).json()["status"] == "NOT COMPLIANT"
