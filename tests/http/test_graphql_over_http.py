"""GraphQL over HTTP as specified (graphql/graphql-over-http): the answer's media type
follows the Accept header, and its status follows the media type. Checked against a real
gateway under uvicorn, by hand and by the `graphql-http` audit suite (npm)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.http.conftest import without_request_id

ROOT = Path(__file__).resolve().parents[2]
AUDIT = Path(__file__).with_name("audit.mjs")
GRAPHQL = "application/graphql-response+json"
GRAPHQL_UTF8 = "application/graphql-response+json; charset=utf-8"
JSON = "application/json"
QUERY = "{ domains { name } }"


def post(gateway: str, body: Any, accept: str | None, **headers: str) -> httpx.Response:
    """POST ``body`` to /graphql with ``accept`` (None: no Accept header at all)."""
    with httpx.Client(timeout=30) as client:
        client.headers.pop("accept")  # httpx sends */* unless told otherwise
        if accept is not None:
            headers["accept"] = accept
        return client.post(f"{gateway}/graphql", json=body, headers=headers)


def run_audits(url: str) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed for the GraphQL-over-HTTP audit (npm graphql-http)")
    if not (ROOT / "node_modules" / "graphql-http").exists():
        pytest.fail("node_modules/graphql-http missing (npm devDependencies: run npm ci)")
    done = subprocess.run(
        [node, str(AUDIT), url], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_every_graphql_http_audit_passes(start_gateway: Callable[..., str]) -> None:
    # Every limit at its default; anonymous callers may read the public graph (the audit
    # sends no credentials and asks `{ __typename }`, `__type` and invalid documents).
    gateway = start_gateway(anonymous_access="discovery")
    results = run_audits(f"{gateway}/graphql")
    assert len(results) >= 60  # the suite ran, not an empty list
    failed = [
        f"{r['id']} {r['status']}: {r['name']} ({r.get('reason')}; {r.get('response')})"
        for r in results
        if r["status"] != "ok"  # "warn", "notice" (MAY) and "error" (MUST) all count
    ]
    assert failed == [], "\n".join(failed)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (GRAPHQL, GRAPHQL_UTF8),
        (f"{GRAPHQL}; charset=utf-8, {JSON}; charset=utf-8", GRAPHQL_UTF8),  # the spec's own
        (f"{GRAPHQL}, {JSON};q=0.9", GRAPHQL_UTF8),
        (f"{JSON};q=0.8, {GRAPHQL};q=0.9", GRAPHQL_UTF8),
        (f"{JSON}, {GRAPHQL}", JSON),  # equal weights: the one listed first
        (f"{GRAPHQL}, {JSON}", GRAPHQL_UTF8),
        (f"{GRAPHQL};q=0.5, */*", JSON),  # */* weighs 1 for application/json
        (f"*/*;q=0.1, {GRAPHQL}", GRAPHQL_UTF8),
        ("application/*", JSON),
        ("*/*", JSON),  # curl, browsers, most libraries: the legacy type
        (f"text/html, {GRAPHQL};q=0.2", GRAPHQL_UTF8),
        (f"{GRAPHQL}; charset=iso-8859-1, {JSON}", JSON),  # only UTF-8 is served
        (None, GRAPHQL_UTF8),  # no Accept: the spec's default since 2025
    ],
)
def test_the_answer_comes_in_the_type_the_client_prefers(
    gateway: str, accept: str | None, expected: str
) -> None:
    answer = post(gateway, {"query": QUERY}, accept)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == expected
    assert answer.json() == {"data": {"domains": []}}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{"}, "GRAPHQL_VALIDATION_FAILED"),  # does not parse
        ({"query": "{ noSuchField }"}, "GRAPHQL_VALIDATION_FAILED"),  # does not validate
        (  # variables that do not coerce
            {"query": "query($n: Int!) { products(first: $n) { totalCount } }",
             "variables": {"n": "ten"}},
            "GRAPHQL_VALIDATION_FAILED",
        ),
        ({"query": "{ " + " ".join(f"a{i}: domains {{ name }}" for i in range(25)) + " }"},
         "TOO_MANY_ROOT_FIELDS"),  # one of our limits: a validation rule too
    ],
)  # fmt: skip
def test_a_request_error_is_a_400_without_data_in_the_new_type(
    gateway: str, body: dict[str, Any], code: str
) -> None:
    answer = post(gateway, body, GRAPHQL)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == GRAPHQL_UTF8
    result = answer.json()
    assert "data" not in result
    assert result["errors"][0]["extensions"]["code"] == code


@pytest.mark.parametrize("accept", [JSON, "*/*"])
def test_a_request_error_stays_200_with_null_data_in_the_legacy_type(
    gateway: str, accept: str
) -> None:
    # The control, and what legacy clients rely on: application/json is 200 for every
    # well-formed request (the spec's SHOULD), whatever its errors.
    answer = post(gateway, {"query": "{"}, accept)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == JSON
    result = answer.json()
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_a_limit_over_get_is_a_400_too(start_gateway: Callable[..., str]) -> None:
    gateway = start_gateway(max_query_bytes=20)
    answer = httpx.get(
        f"{gateway}/graphql", params={"query": "{ domains { name description } }"},
        headers={"accept": GRAPHQL},
    )  # fmt: skip
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == GRAPHQL_UTF8
    [error] = answer.json()["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_LARGE"


def test_a_field_error_is_still_a_200_with_its_data(gateway: str) -> None:
    # Executed: anonymous callers get no `sql`, a field error with a path; data is null.
    answer = post(gateway, {"query": '{ sql(query: "SELECT 1") { rowCount } }'}, GRAPHQL)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == GRAPHQL_UTF8
    result = answer.json()
    assert result["data"] is None
    assert result["errors"][0]["path"] == ["sql"]
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    "accept", ["text/html", "application/xml", f"{JSON};q=0, {GRAPHQL};q=0", "image/*"]
)
def test_an_accept_that_allows_neither_type_is_406(gateway: str, accept: str) -> None:
    answer = post(gateway, {"query": QUERY}, accept)
    assert answer.status_code == 406, answer.text
    assert answer.headers["content-type"] == JSON
    assert without_request_id(answer.json()["error"]) == {
        "message": f"the answer is {GRAPHQL} or {JSON}; the Accept header allows neither",
        "code": "NOT_ACCEPTABLE",
        "accepted": [GRAPHQL, JSON],
    }
    get = httpx.get(f"{gateway}/graphql", params={"query": QUERY}, headers={"accept": accept})
    assert get.status_code == 406


@pytest.mark.parametrize("accept", ["multipart/mixed", "text/event-stream"])
def test_a_client_asking_for_a_stream_gets_json_not_406(gateway: str, accept: str) -> None:
    # Streamed answers are not served over HTTP (subscriptions go over the WebSocket,
    # tests/live); answering in JSON lets the graph say so (WRONG_TRANSPORT) to a
    # subscription, and answers a plain query.
    answer = post(gateway, {"query": QUERY}, accept)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == JSON
    assert answer.json() == {"data": {"domains": []}}


def test_the_graphiql_page_is_still_served_to_a_browser(gateway: str) -> None:
    # A browser asks for text/html only: the IDE page, not a 406.
    page = httpx.get(f"{gateway}/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


def test_a_mutation_over_get_stays_405_in_the_new_type(gateway: str) -> None:
    answer = httpx.get(
        f"{gateway}/graphql", params={"query": "mutation { __typename }"},
        headers={"accept": GRAPHQL},
    )  # fmt: skip
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert answer.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_an_ill_formed_request_is_a_400_in_either_type(gateway: str) -> None:
    for accept in (GRAPHQL, JSON):
        for body in (
            {"qeury": QUERY},
            {"query": QUERY, "variables": [7]},
            {"query": 1},
            {"query": QUERY, "operationName": {"name": "Q"}},
            {"query": QUERY, "operationName": 7},
        ):
            answer = post(gateway, body, accept)
            assert answer.status_code == 400, (accept, body, answer.text)
            assert answer.json()["error"]["code"] == "BAD_REQUEST"


def test_refusals_at_the_edge_keep_their_json_error_body(
    start_gateway: Callable[..., str],
) -> None:
    # Refused before the body is read as GraphQL: the gateway's one REST error format, in
    # application/json (by the spec, a non-200 application/json answer is not a GraphQL
    # response, so no client mistakes it for one), whatever the client accepts.
    gateway = start_gateway(max_body_bytes=100, rate_limit_per_minute=2)
    body = json.dumps({"query": QUERY})
    cases = [
        ({"content-type": "text/plain"}, body, 415, "UNSUPPORTED_MEDIA_TYPE"),
        ({"authorization": "Bearer nope"}, body, 401, "UNAUTHENTICATED"),
        ({}, json.dumps({"query": QUERY + " " * 200}), 413, "BODY_TOO_LARGE"),
        ({}, body, 429, "RATE_LIMITED"),
    ]
    for extra, content, status, code in cases:
        headers = {"content-type": JSON, "accept": GRAPHQL, **extra}
        answer = httpx.post(f"{gateway}/graphql", content=content, headers=headers)
        assert answer.status_code == status, (code, answer.text)
        assert answer.headers["content-type"] == JSON
        assert answer.json()["error"]["code"] == code


@pytest.mark.parametrize(("accept", "status"), [(GRAPHQL, 400), (JSON, 200)])
def test_an_operation_that_is_not_in_the_document_is_a_graphql_request_error(
    gateway: str, accept: str, status: int
) -> None:
    # GetOperation() fails: nothing runs, and the answer is a GraphQL response with the
    # status of its media type (it was a bare 400 {"error": ...} in both before).
    body = {"query": "query A { domains { name } }", "operationName": "B"}
    answer = post(gateway, body, accept)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].split(";")[0] == accept
    result = answer.json()
    assert ("data" in result) is (accept == JSON)
    [error] = result["errors"]
    assert without_request_id(error["extensions"]) == {"code": "BAD_REQUEST"}
    assert error["message"] == 'Unknown operation named "B".'
