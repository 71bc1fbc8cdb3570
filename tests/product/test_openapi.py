"""The served OpenAPI document types every answer, and the real answers keep to it.

Each route of the kit is driven for real (uvicorn on 127.0.0.1): its success answer and
its errors are validated against the schema the served ``/discover/openapi.json`` gives
for that status and content type. The cases are checked against the route table, so a
route added without a case (or without a typed answer) fails here.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import openapi_spec_validator
import pytest
import referencing
import referencing.exceptions
import yaml
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing.jsonschema import DRAFT202012
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from productkit.http.routes import ENDPOINTS
from productkit.outbound import ALLOWED_NETWORKS_ENV, REGISTRIES_ENV
from productkit.settings import KitSettings
from tests.fixtures.uvicorn import LOOPBACK_ONLY
from tests.product.builders import CONTRACT_ID, TABLE
from tests.product.conftest import auth

HOOK = "http://127.0.0.1:9/hook"
WRONG = {"Authorization": "Bearer not-the-token"}
# Answers that are a third party's document, not the kit's: described, not typed.
UNTYPED = {("/discover/registration", "post")}


def served_document(client: httpx.Client) -> dict[str, Any]:
    answer = client.get("/discover/openapi.json")
    assert answer.status_code == 200
    doc: dict[str, Any] = answer.json()
    return doc


def test_the_served_document_passes_an_openapi_validator(client: httpx.Client) -> None:
    doc = served_document(client)
    openapi_spec_validator.validate(doc)
    # The validator does look at the components: a broken reference is refused.
    broken = copy.deepcopy(doc)
    broken["paths"]["/observe/health"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] = {"$ref": "#/components/schemas/NoSuchSchema"}
    refused = (OpenAPIValidationError, referencing.exceptions.Unresolvable)
    with pytest.raises(refused):
        openapi_spec_validator.validate(broken)


def test_every_answer_of_every_route_has_a_schema(client: httpx.Client) -> None:
    doc = served_document(client)
    for ep in ENDPOINTS:
        op = doc["paths"][ep.path][ep.method.lower()]
        for status, response in op["responses"].items():
            for media, content in response["content"].items():
                schema = content["schema"]
                where = f"{ep.method} {ep.path} {status} {media}"
                if (ep.path, ep.method.lower()) in UNTYPED:
                    continue
                # A named model, or the standard's schema: never a bare object.
                assert "$ref" in schema or "anyOf" in schema, where
                target = schema.get("$ref") or schema["anyOf"][0]["$ref"]
                name = target.removeprefix("#/components/schemas/")
                assert doc["components"]["schemas"][name].get("properties"), where
        if ep.body is not None:
            body = op["requestBody"]["content"]["application/json"]["schema"]
            assert "$ref" in body, f"{ep.method} {ep.path} request body"


# -- every route driven for real ----------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One request and the status it must answer."""

    method: str
    url: str
    status: int
    route: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    code: str | None = None  # the error code expected


def _validator(doc: dict[str, Any], pointer: str) -> jsonschema.protocols.Validator:
    resource = referencing.Resource.from_contents(doc, default_specification=DRAFT202012)
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(
        "urn:openapi", resource
    )
    cls = jsonschema.Draft202012Validator
    # Formats are checked where jsonschema has the checker (date-time: rfc3339-validator).
    return cls(
        {"$ref": "urn:openapi#" + pointer}, registry=registry, format_checker=cls.FORMAT_CHECKER
    )


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def response_validator(
    doc: dict[str, Any], route: str, method: str, status: int, media: str
) -> jsonschema.protocols.Validator:
    """The validator of the schema ``doc`` gives for one answer (KeyError if none)."""
    op = doc["paths"][route][method.lower()]
    key = str(status) if str(status) in op["responses"] else "default"
    op["responses"][key]["content"][media]  # noqa: B018 - KeyError when undocumented
    return _validator(doc, _pointer("paths", route, method.lower(), "responses", key,
                                    "content", media, "schema"))  # fmt: skip


def check_answer(doc: dict[str, Any], case: Case, answer: httpx.Response) -> None:
    where = f"{case.method} {case.url}"
    assert answer.status_code == case.status, f"{where}: {answer.status_code} {answer.text}"
    media = answer.headers["content-type"].split(";")[0]
    body = yaml.safe_load(answer.text) if media == "application/yaml" else answer.json()
    validator = response_validator(doc, case.route, case.method, case.status, media)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, f"{where} answered outside its schema: {errors[:5]}"
    if case.code is not None:
        assert body["error"]["code"] == case.code, where


def run(client: httpx.Client, doc: dict[str, Any], cases: list[Case]) -> list[Case]:
    for case in cases:
        answer = client.request(case.method, case.url, headers=case.headers, json=case.body)
        check_answer(doc, case, answer)
    return cases


def product_cases(client: httpx.Client) -> Iterator[Case]:
    """Every route of the default product: answers and errors (run in this order)."""
    contract = "/discover/contracts/{id}/{version}"
    artifact = "/discover/artifact/{id}/metadata"
    yield Case("GET", "/discover/metadata", 200, "/discover/metadata")
    yield Case("GET", f"/discover/contracts/{CONTRACT_ID}/1.0.0", 200, contract)
    yield Case("GET", f"/discover/contracts/{CONTRACT_ID}/1.0.0?format=yaml", 200, contract)
    yield Case("GET", f"/discover/contracts/{CONTRACT_ID}/1.0.0?format=xml", 400, contract,
               code="BAD_REQUEST")  # fmt: skip
    yield Case("GET", f"/discover/contracts/{CONTRACT_ID}/9.9.9", 404, contract,
               code="NOT_FOUND")  # fmt: skip
    yield Case("GET", "/discover/artifacts", 200, "/discover/artifacts")
    for aid in (f"table:{TABLE}", f"contract:{CONTRACT_ID}:1.0.0", "descriptor"):
        yield Case("GET", f"/discover/artifact/{aid}/metadata", 200, artifact)
    yield Case("GET", "/discover/artifact/nothing/metadata", 404, artifact, code="NOT_FOUND")
    yield Case("GET", "/discover/openapi.json", 200, "/discover/openapi.json")
    registration = "/discover/registration"
    yield Case("POST", registration, 401, registration, code="UNAUTHORIZED")
    yield Case("POST", registration, 403, registration, WRONG, code="FORBIDDEN")
    yield Case("POST", registration, 403, registration, auth(), {"registry": "http://x.example"},
               code="REGISTRY_NOT_CONFIGURED")  # fmt: skip
    for route in ("/observe/health", "/observe/metrics", "/observe/results"):
        yield Case("GET", route, 200, route)
    subs, one = "/observe/events/subscriptions", "/observe/events/subscriptions/{id}"
    yield Case("POST", subs, 201, subs, body={"endpoint": HOOK, "events": ["*"]})
    yield Case("POST", subs, 400, subs, body={"endpoint": "ftp://x"}, code="BAD_REQUEST")
    yield Case("GET", subs, 200, subs, auth())
    yield Case("GET", subs, 401, subs, code="UNAUTHORIZED")
    yield Case("GET", subs, 403, subs, WRONG, code="FORBIDDEN")
    yield Case("GET", f"{subs}/nothing", 404, one, auth(), code="NOT_FOUND")
    yield Case("GET", f"{subs}/nothing", 401, one, code="UNAUTHORIZED")
    yield Case("GET", f"{subs}/nothing", 403, one, WRONG, code="FORBIDDEN")
    yield Case("DELETE", f"{subs}/nothing", 404, one, auth(), code="NOT_FOUND")
    yield Case("DELETE", f"{subs}/nothing", 401, one, code="UNAUTHORIZED")
    yield Case("DELETE", f"{subs}/nothing", 403, one, WRONG, code="FORBIDDEN")
    for route in ("/certify/status", "/certify/report"):
        yield Case("GET", route, 200, route)
    yield Case("POST", "/certify/subscribe", 201, "/certify/subscribe",
               body={"endpoint": HOOK, "threshold": 0.5})  # fmt: skip
    yield Case("POST", "/certify/subscribe", 400, "/certify/subscribe",
               body={"endpoint": HOOK, "threshold": 2}, code="BAD_REQUEST")  # fmt: skip
    yield Case("POST", "/certify/publish", 200, "/certify/publish", auth())
    yield Case("POST", "/certify/publish", 401, "/certify/publish", code="UNAUTHORIZED")
    yield Case("POST", "/certify/publish", 403, "/certify/publish", WRONG, code="FORBIDDEN")
    consume = "/consume/{table}"
    yield Case("GET", f"/consume/{TABLE}?limit=2", 200, consume)
    yield Case("GET", f"/consume/{TABLE}?limit=0", 400, consume, code="BAD_REQUEST")
    yield Case("GET", "/consume/nothing", 404, consume, code="NOT_FOUND")
    yield Case("POST", "/control/pause", 200, "/control/pause", auth())
    yield Case("GET", f"/consume/{TABLE}", 503, consume, code="PRODUCT_PAUSED")
    yield Case("POST", "/control/resume", 200, "/control/resume", auth())
    yield Case("POST", "/control/stop", 200, "/control/stop", auth())
    yield Case("POST", "/control/pause", 409, "/control/pause", auth(), code="INVALID_STATE")
    yield Case("POST", "/control/start", 200, "/control/start", auth())
    for action in ("start", "stop", "pause", "resume"):
        route = f"/control/{action}"
        yield Case("POST", route, 401, route, code="UNAUTHORIZED")
        yield Case("POST", route, 403, route, WRONG, code="FORBIDDEN")
    configure = "/control/configure"
    yield Case("POST", configure, 200, configure, auth(), {"description": "x", "tags": ["a"]})
    yield Case("POST", configure, 400, configure, auth(), {"colour": "red"}, code="BAD_REQUEST")
    yield Case("POST", configure, 401, configure, code="UNAUTHORIZED")
    yield Case("POST", configure, 403, configure, WRONG, code="FORBIDDEN")


def test_every_route_answers_within_its_schema(
    client: httpx.Client,
    product_dir: Path,
    make_app: Callable[..., Starlette],
    serve_app: Callable[[Any], str],
) -> None:
    doc = served_document(client)
    done = run(client, doc, list(product_cases(client)))

    # Subscriptions read and deleted by their real id, by the owner and by the subscriber.
    subs = "/observe/events/subscriptions"
    made = client.post(subs, json={"endpoint": HOOK})
    check_answer(doc, Case("POST", subs, 201, subs), made)
    sub_id, secret = made.json()["id"], made.json()["secret"]
    mine = {"Authorization": f"Bearer {secret}"}
    done += run(client, doc, [
        Case("GET", subs, 200, subs, mine),
        Case("GET", f"{subs}/{sub_id}", 200, f"{subs}/{{id}}", mine),
        Case("DELETE", f"{subs}/{sub_id}", 200, f"{subs}/{{id}}", auth()),
    ])  # fmt: skip

    # Limits: one subscription at most, one per minute (409 then 429).
    # A kit of its own state: the first kit's subscriptions would count (same folder).
    limited = make_app(product_dir, settings=KitSettings(max_subscriptions=1,
                                                         subscriptions_per_minute=1,
                                                         state_path="limited.sqlite3"))  # fmt: skip
    with httpx.Client(base_url=serve_app(limited), timeout=30) as other:
        first = other.post(subs, json={"endpoint": HOOK}).json()
        done += run(other, doc, [
            Case("POST", subs, 409, subs, body={"endpoint": HOOK},
                 code="TOO_MANY_SUBSCRIPTIONS"),
            Case("DELETE", f"{subs}/{first['id']}", 200, f"{subs}/{{id}}", auth()),
            Case("POST", subs, 429, subs, body={"endpoint": HOOK}, code="RATE_LIMITED"),
            Case("POST", "/certify/subscribe", 429, "/certify/subscribe",
                 body={"endpoint": HOOK}, code="RATE_LIMITED"),
        ])  # fmt: skip

    # Registration through a real registry on 127.0.0.1, and one that is not there.
    async def registry(request: Request) -> JSONResponse:
        return JSONResponse({"id": "registered", "got": await request.json()}, status_code=201)

    app = Starlette(routes=[Route("/registry/products", registry, methods=["POST"])])
    listed = serve_app(app) + "/registry/products"
    dead = "http://127.0.0.1:9/registry/products"
    env = {REGISTRIES_ENV: f"{listed},{dead}", ALLOWED_NETWORKS_ENV: LOOPBACK_ONLY}
    with httpx.Client(base_url=serve_app(make_app(product_dir, env=env)), timeout=30) as other:
        reg = "/discover/registration"
        done += run(other, doc, [
            Case("POST", reg, 201, reg, auth(), {"registry": listed}),
            Case("POST", reg, 400, reg, auth(), {"registry": "not a url"}, code="BAD_REQUEST"),
            Case("POST", reg, 502, reg, auth(), {"registry": dead},
                 code="UPSTREAM_UNAVAILABLE"),
        ])  # fmt: skip

    # Every route was driven to a success, and every documented error status was seen.
    succeeded = {(c.route, c.method) for c in done if c.status < 400}
    assert succeeded == {(ep.path, ep.method) for ep in ENDPOINTS}
    seen = {c.status for c in done if c.status >= 400}
    assert {400, 401, 403, 404, 409, 429, 502, 503} <= seen
    for ep in ENDPOINTS:
        driven = {c.status for c in done if (c.route, c.method) == (ep.path, ep.method)}
        assert driven <= set(ep.statuses), f"{ep.method} {ep.path} answers undocumented {driven}"


def test_an_answer_outside_its_model_is_caught(client: httpx.Client) -> None:
    """What the route test relies on: the schemas are closed and list what is required."""
    doc = served_document(client)
    health = client.get("/observe/health").json()
    validator = response_validator(doc, "/observe/health", "GET", 200, "application/json")
    assert validator.is_valid(health)
    assert not validator.is_valid({**health, "colour": "green"})  # a key no model has
    assert not validator.is_valid({k: v for k, v in health.items() if k != "checkedAt"})
    assert not validator.is_valid({**health, "status": "GREEN"})
    assert not validator.is_valid({**health, "checkedAt": "yesterday"})
    error = response_validator(doc, "/consume/{table}", "GET", 404, "application/json")
    assert error.is_valid({"error": {"code": "NOT_FOUND", "message": "no table"}})
    assert not error.is_valid({"detail": "Not Found"})


def test_contracts_are_described_by_the_odcs_schema_of_their_version(
    client: httpx.Client,
) -> None:
    doc = served_document(client)
    op = doc["paths"]["/discover/contracts/{id}/{version}"]["get"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    # The test product's contract is ODCS v3.0.2: that version's vendored schema.
    assert schema == {"$ref": "#/components/schemas/OdcsContractV3_0_2"}
    odcs = doc["components"]["schemas"]["OdcsContractV3_0_2"]
    assert odcs["properties"]["apiVersion"]["enum"][0].startswith("v3")
    contract = client.get(f"/discover/contracts/{CONTRACT_ID}/1.0.0").json()
    validator = response_validator(doc, op_route := "/discover/contracts/{id}/{version}",
                                   "GET", 200, "application/json")  # fmt: skip
    assert validator.is_valid(contract), op_route
    assert not validator.is_valid({**contract, "kind": "Nothing"})


def test_openapi_json_is_stable_json(client: httpx.Client) -> None:
    # Components are sorted by name, so the document is the same from one request to the next.
    first, second = served_document(client), served_document(client)
    assert json.dumps(first) == json.dumps(second)
    assert list(first["components"]["schemas"]) == sorted(first["components"]["schemas"])
