"""Identity at the gateway's doors, on a real app under uvicorn: tokens, API keys,
anonymous access, request ids, and who may change the registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.identity.apikeys import entry_yaml, new_key
from gateway.settings import Settings
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import running

SQL = '{ sql(query: "SELECT 1 AS one") { rows executedSql } }'


class Door:
    def __init__(self, base: str, issuer: TestIssuer, api_key: str) -> None:
        self.base = base
        self.issuer = issuer
        self.api_key = api_key

    def graphql(self, query: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.post(f"{self.base}/graphql", json={"query": query}, headers=headers or {})


def start(tmp: Path, **settings: Any) -> Iterator[Door]:
    issuer = TestIssuer(tmp / "auth")
    key, stored = new_key("nightly-report", ["analyst"])
    keys = tmp / "keys.yaml"
    keys.write_text(
        "keys:\n" + "".join("  " + line + "\n" for line in entry_yaml(stored).splitlines())
    )
    config = Settings(
        registry_url=f"sqlite:///{tmp / 'r.db'}",
        api_keys_file=str(keys),
        **issuer.settings(),
        **settings,
    )
    with running(create_app(config)) as base:
        yield Door(base, issuer, key)


@pytest.fixture
def door(tmp_path: Path) -> Iterator[Door]:
    yield from start(tmp_path)


@pytest.fixture
def closed_door(tmp_path: Path) -> Iterator[Door]:
    yield from start(tmp_path, anonymous_access="none")


def error_of(answer: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = answer.json()
    return body["errors"][0] if "errors" in body else body["error"]


def test_anonymous_callers_browse_but_reach_no_data(door: Door) -> None:
    listed = door.graphql("{ products { totalCount } domains { name } }")
    assert listed.status_code == 200 and listed.json()["data"]["products"]["totalCount"] == 0
    answer = door.graphql(SQL)
    error = error_of(answer)
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    # The error names the request, as the response header does.
    assert error["extensions"]["requestId"] == answer.headers["x-request-id"]
    stream = httpx.post(f"{door.base}/sql/stream", json={"query": "SELECT 1 AS one"})
    assert stream.status_code == 401 and stream.json()["error"]["code"] == "UNAUTHENTICATED"


def test_a_signed_in_caller_runs_sql_and_only_an_admin_sees_the_engine_sql(door: Door) -> None:
    analyst = {"Authorization": f"Bearer {door.issuer.token('ana', ['analyst'])}"}
    body = door.graphql(SQL, analyst).json()
    assert body["data"]["sql"] == {"rows": [[1]], "executedSql": None}
    body = door.graphql(SQL, door.issuer.headers()).json()
    assert "SELECT" in body["data"]["sql"]["executedSql"]


def test_bad_credentials_are_refused_never_treated_as_anonymous(door: Door) -> None:
    expired = door.issuer.token("ana", ["admin"], exp=1)
    for headers in (
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": "Bearer not.a.token"},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"X-API-Key": door.api_key[:-1] + ("A" if door.api_key[-1] != "A" else "B")},
        {"X-API-Key": door.api_key, "Authorization": "Bearer x"},
    ):
        answer = door.graphql("{ domains { name } }", headers)
        assert answer.status_code == 401, headers
        assert answer.headers["www-authenticate"].startswith("Bearer")
        error = answer.json()["error"]
        assert error["code"] == "UNAUTHENTICATED" and error["requestId"]


def test_an_api_key_is_a_service_account(door: Door) -> None:
    body = door.graphql(SQL, {"X-API-Key": door.api_key}).json()
    assert body["data"]["sql"]["rows"] == [[1]]
    body = door.graphql(SQL, {"Authorization": f"Bearer {door.api_key}"}).json()
    assert body["data"]["sql"]["rows"] == [[1]]


def test_anonymous_access_none_closes_everything_but_health_and_the_page(
    closed_door: Door,
) -> None:
    answer = closed_door.graphql("{ products { totalCount } }")
    assert answer.status_code == 401
    assert httpx.get(f"{closed_door.base}/healthz").status_code == 200
    page = httpx.get(f"{closed_door.base}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    query_by_get = httpx.get(
        f"{closed_door.base}/graphql", params={"query": "{ domains { name } }"}
    )
    assert query_by_get.status_code == 401
    # The parameter's name percent-encoded is still `query` to the GraphQL view.
    encoded = httpx.get(
        f"{closed_door.base}/graphql?%71uery=%7B%20domains%20%7B%20name%20%7D%20%7D"
    )
    assert encoded.status_code == 401, encoded.text
    listing = httpx.get(f"{closed_door.base}/registry/products")
    assert listing.status_code == 401
    answer = closed_door.graphql("{ products { totalCount } }", closed_door.issuer.headers())
    assert answer.json()["data"]["products"]["totalCount"] == 0


def test_registry_changes_need_a_signed_in_owner(door: Door) -> None:
    url = "http://127.0.0.1:9/discover/metadata"
    anonymous = httpx.post(f"{door.base}/registry/products", json={"url": url})
    assert anonymous.status_code == 401
    analyst = {"Authorization": f"Bearer {door.issuer.token('ana', ['analyst'])}"}
    refused = httpx.post(f"{door.base}/registry/products", json={"url": url}, headers=analyst)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"
    deleted = httpx.delete(f"{door.base}/registry/products/x.y", headers=analyst)
    assert deleted.status_code == 404  # nothing to delete: not found before ownership
    body = door.graphql('mutation { unregisterProduct(id: "x.y") { id } }').json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    body = door.graphql(f'mutation {{ registerProduct(url: "{url}") {{ id }} }}', analyst).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_private_details_of_errors_are_for_admins(door: Door) -> None:
    owner = {"Authorization": f"Bearer {door.issuer.token('ada', ['owner:precipitation'])}"}
    url = "http://127.0.0.1:9/discover/metadata"  # nothing listens on port 9
    query = f'mutation {{ registerProduct(url: "{url}") {{ id }} }}'
    error = error_of(door.graphql(query, owner))
    assert error["extensions"]["code"].startswith("UPSTREAM")
    assert "url" not in error["extensions"] and "status" not in error["extensions"]
    admin_error = error_of(door.graphql(query, door.issuer.headers()))
    assert admin_error["extensions"]["code"] == error["extensions"]["code"]


def test_wrong_credentials_from_one_address_are_slowed_down(tmp_path: Path) -> None:
    for door in start(tmp_path, auth_failures_per_minute=3):
        query = "{ domains { name } }"
        for _ in range(3):
            assert door.graphql(query, {"Authorization": "Bearer guessed"}).status_code == 401
        # The address has spent its failures: even a good token waits now...
        blocked = door.graphql(query, door.issuer.headers())
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
        assert blocked.json()["error"]["code"] == "RATE_LIMITED"
        # ...while a caller without credentials, and another address, are served.
        assert door.graphql(query).status_code == 200
        other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        with other:
            answer = other.post(
                f"{door.base}/graphql", json={"query": query}, headers=door.issuer.headers()
            )
        assert answer.status_code == 200
