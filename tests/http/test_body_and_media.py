"""Hole 9: bodies have a size cap, state-changing requests carry JSON only, and GraphQL
runs no mutation over GET. Each test tries it as a hostile client would."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.http.conftest import without_request_id

MB = 1024 * 1024
POST_ROUTES = ["/graphql", "/registry/products", "/sql/stream"]


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A body sent in chunks: httpx declares no Content-Length for it."""
    sent = 0
    while sent < total:
        part = min(size, total - sent)
        sent += part
        yield b" " * part


def registered(gateway: str) -> list[object]:
    products: list[object] = httpx.get(f"{gateway}/registry/products").json()["products"]
    return products


def json_as(admin: dict[str, str], content_type: str = "application/json") -> dict[str, str]:
    return {**admin, "Content-Type": content_type}


@pytest.mark.parametrize("route", POST_ROUTES)
def test_a_2_mb_chunked_body_is_refused_without_trusting_a_length(
    gateway: str, admin: dict[str, str], route: str
) -> None:
    request = httpx.Request(
        "POST",
        f"{gateway}{route}",
        content=chunks(2 * MB),
        headers=json_as(admin),
    )
    assert "content-length" not in request.headers  # streamed, nothing declared
    with httpx.Client(timeout=30) as client:
        answer = client.send(request)
    assert answer.status_code == 413, answer.text
    assert without_request_id(answer.json()["error"]) == {
        "message": "the request body is over 1048576 bytes",
        "code": "BODY_TOO_LARGE",
        "maxBytes": 1048576,
    }


def test_a_declared_length_over_the_cap_is_refused_before_reading(
    gateway: str, admin: dict[str, str]
) -> None:
    answer = httpx.post(
        f"{gateway}/registry/products",
        content=b"{" + b" " * (MB + 1) + b"}",
        headers=json_as(admin),
        timeout=30,
    )
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "BODY_TOO_LARGE"


def test_a_body_under_the_cap_goes_through(gateway: str, admin: dict[str, str]) -> None:
    # 1,000,000 bytes of JSON: under the cap, so the route itself answers (a bad URL).
    body = json.dumps({"url": 1, "pad": "x" * 999_980}).encode()
    assert MB - 100_000 < len(body) < MB
    answer = httpx.post(
        f"{gateway}/registry/products",
        content=body,
        headers=json_as(admin),
        timeout=30,
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "BAD_REQUEST"


def test_the_cap_is_a_setting(start_gateway: Callable[..., str]) -> None:
    gateway = start_gateway(max_body_bytes=100)
    answer = httpx.post(f"{gateway}/graphql", json={"query": "{ domains { name } }" + " " * 90})
    assert answer.status_code == 413
    assert answer.json()["error"]["maxBytes"] == 100
    assert httpx.post(f"{gateway}/graphql", json={"query": "{ domains { name } }"}).json() == {
        "data": {"domains": []}
    }


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_cross_site_registration_is_refused_and_registers_nothing(
    gateway: str, admin: dict[str, str], product: str, content_type: str
) -> None:
    # What a form or fetch() on any web page can send without a CORS preflight.
    answer = httpx.post(
        f"{gateway}/registry/products",
        content=json.dumps({"url": product}).encode(),
        headers=json_as(admin, content_type),
        timeout=30,
    )
    assert answer.status_code == 415, answer.text
    assert answer.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert answer.headers["accept-post"] == "application/json"
    assert registered(gateway) == []


def test_a_body_without_a_content_type_is_refused(
    gateway: str, admin: dict[str, str], product: str
) -> None:
    answer = httpx.post(
        f"{gateway}/registry/products", content=json.dumps({"url": product}), headers=admin
    )
    assert answer.status_code == 415
    assert answer.json()["error"]["message"] == "the body must be application/json, got none"
    assert registered(gateway) == []


def test_the_same_registration_as_json_is_accepted(
    gateway: str, admin: dict[str, str], product: str
) -> None:
    # The control: the refusals above are about the media type, not the request.
    answer = httpx.post(
        f"{gateway}/registry/products", json={"url": product}, headers=admin, timeout=30
    )
    assert answer.status_code == 201, answer.text
    assert len(registered(gateway)) == 1


@pytest.mark.parametrize("route", ["/graphql", "/sql/stream"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_graphql_and_the_stream_take_json_only(
    gateway: str, admin: dict[str, str], route: str, content_type: str
) -> None:
    body = {"query": "{ domains { name } }"} if route == "/graphql" else {"query": "select 1"}
    answer = httpx.post(
        f"{gateway}{route}",
        content=json.dumps(body).encode(),
        headers=json_as(admin, content_type),
    )
    assert answer.status_code == 415
    assert answer.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


def test_a_cross_site_graphql_mutation_registers_nothing(
    gateway: str, admin: dict[str, str], product: str
) -> None:
    mutation = f'mutation {{ registerProduct(url: "{product}") {{ id }} }}'
    answer = httpx.post(
        f"{gateway}/graphql",
        content=json.dumps({"query": mutation}).encode(),
        headers=json_as(admin, "text/plain"),
    )
    assert answer.status_code == 415
    assert registered(gateway) == []


def test_a_mutation_over_get_is_refused_and_registers_nothing(
    gateway: str, admin: dict[str, str], product: str
) -> None:
    # A link, an <img> or a prefetch on any page makes a browser send a GET.
    mutation = f'mutation {{ registerProduct(url: "{product}") {{ id }} }}'
    answer = httpx.get(f"{gateway}/graphql", params={"query": mutation}, headers=admin, timeout=30)
    assert answer.status_code == 405, answer.text
    assert answer.headers["allow"] == "POST"
    assert without_request_id(answer.json()["error"]) == {
        "message": "mutations are not allowed when using GET",
        "code": "METHOD_NOT_ALLOWED",
    }
    assert registered(gateway) == []


def test_queries_over_get_still_work(gateway: str, admin: dict[str, str]) -> None:
    answer = httpx.get(f"{gateway}/graphql", params={"query": "{ domains { name } }"})
    assert answer.json() == {"data": {"domains": []}}


def test_batches_are_refused_with_a_code(gateway: str, admin: dict[str, str]) -> None:
    # Batching is off (Strawberry's default): one operation per request, one cost check.
    batch = [{"query": "{ domains { name } }"}] * 30
    answer = httpx.post(f"{gateway}/graphql", json=batch, headers=admin)
    assert answer.status_code == 400
    assert without_request_id(answer.json()["error"]) == {
        "message": "Batching is not enabled",
        "code": "BAD_REQUEST",
    }
