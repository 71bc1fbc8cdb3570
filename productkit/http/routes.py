"""The product gateway's routes: thin handlers over :class:`ProductRuntime`.

Each handler parses the request, calls the runtime and renders JSON. The route table
(:data:`ENDPOINTS`) also feeds the OpenAPI document, so the two cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from productkit import answers
from productkit.errors import BadInput
from productkit.events import Subscription
from productkit.http.openapi import Described, openapi_document, registry_answer
from productkit.metadata_answer import metadata_schema
from productkit.results import matching, parse_rule, parse_since
from productkit.runtime import ProductRuntime
from productkit.standards import contract_schema
from productkit.subscribers import check_callback

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    """One route: path, method, handler, interface (OpenAPI tag), what it takes and answers.

    ``answer`` is the model of the success answer (a class of :mod:`productkit.answers`),
    or a :class:`Described` schema for the standards' documents; every status from 400
    answers :class:`productkit.answers.Error`. ``body`` is the request body's model.
    """

    path: str
    method: str
    handler: Handler
    tag: str
    answer: Any
    auth: bool = False
    query: tuple[tuple[str, str, str], ...] = ()  # (name, JSON type, description)
    body: Any = None  # the request body's model
    statuses: tuple[int, ...] = field(default=(200,))
    media_types: tuple[str, ...] = ("application/json",)


def runtime(request: Request) -> ProductRuntime:
    """The product served by this app."""
    product: ProductRuntime = request.app.state.product
    return product


def base_url(request: Request) -> str:
    """The URL this request reached the app at, without a trailing slash."""
    return str(request.base_url).rstrip("/")


async def json_body(request: Request) -> Any:
    """The request body as JSON; raise ``BadInput`` when it is not."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadInput("body: expected JSON") from None


# -- discover ----------------------------------------------------------------------------


async def get_metadata(request: Request) -> Response:
    """The product definition with links to its contracts and endpoints."""
    return JSONResponse(runtime(request).metadata(base_url(request)))


async def get_contract(request: Request) -> Response:
    """One output contract as written (JSON, or YAML with ?format=yaml)."""
    doc = runtime(request).contract(request.path_params["id"], request.path_params["version"])
    fmt = request.query_params.get("format", "json")
    if fmt == "yaml":
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        return Response(text, media_type="application/yaml")
    if fmt != "json":
        raise BadInput("format: expected json or yaml", argument="format")
    return JSONResponse(doc)


async def get_openapi(request: Request) -> Response:
    """The OpenAPI 3.1 description of every route of this server."""
    product = runtime(request)
    versions = [c.api_version for c in product.folder.outputs]
    doc = openapi_document(ENDPOINTS, product.descriptor, base_url(request), versions)
    return JSONResponse(doc)


async def get_artifacts(request: Request) -> Response:
    """Every artifact of the product: tables, contracts, descriptor."""
    answer: answers.ArtifactList = {"artifacts": runtime(request).artifacts(base_url(request))}
    return JSONResponse(answer)


async def get_artifact(request: Request) -> Response:
    """One artifact's metadata."""
    item = runtime(request).artifact(base_url(request), request.path_params["id"])
    return JSONResponse(item)


async def post_registration(request: Request) -> Response:
    """Register this product with a registry its operator listed; relays the answer."""
    runtime(request).authorize(request.headers.get("authorization"))
    body = await json_body(request)
    registry = body.get("registry") if isinstance(body, dict) else None
    metadata_url = base_url(request) + "/discover/metadata"
    status, answer = await runtime(request).register(registry, metadata_url)
    return JSONResponse(answer, status_code=status)


# -- observe -----------------------------------------------------------------------------


async def get_health(request: Request) -> Response:
    """Health computed from the store: reachability, row counts, freshness."""
    return JSONResponse(await runtime(request).health())


async def get_metrics(request: Request) -> Response:
    """Usage and performance counters, and each table's size."""
    return JSONResponse(await runtime(request).metrics_document())


async def get_results(request: Request) -> Response:
    """Observability results of the contracts' quality rules and SLAs (filtered by
    ``since`` and ``rule`` when given)."""
    params = request.query_params
    since, rule = parse_since(params.get("since")), parse_rule(params.get("rule"))
    found = matching(await runtime(request).results(), since, rule)
    answer: answers.ResultList = {"results": found}
    return JSONResponse(answer)


def client_address(request: Request) -> str:
    """The address the request came from (what creation limits count per)."""
    return request.client.host if request.client is not None else "unknown"


def subscribe(request: Request, make: Callable[[], Subscription]) -> Response:
    """Create a subscription for this client; the answer carries its secret, once."""
    book = runtime(request).subscribers
    sub, secret = book.create(client_address(request), make)
    answer: answers.NewSubscription = {**sub.as_json(), "secret": secret}
    return JSONResponse(answer, status_code=201)


async def post_subscription(request: Request) -> Response:
    """Subscribe an http(s) endpoint to the product's events (answers its secret once)."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadInput('body: expected {"endpoint": "http://...", "events": ["*"]}')
    events = runtime(request).events
    endpoint = check_callback(body.get("endpoint"))
    return subscribe(request, lambda: events.subscribe(endpoint, body.get("events")))


async def get_subscriptions(request: Request) -> Response:
    """The subscriptions the caller may see: all for the owner, its own for a subscriber."""
    book = runtime(request).subscribers
    subs = book.visible(book.caller(request.headers.get("authorization")))
    answer: answers.SubscriptionList = {"subscriptions": [s.as_json() for s in subs]}
    return JSONResponse(answer)


async def get_subscription(request: Request) -> Response:
    """One event subscription, for its subscriber or the owner."""
    book = runtime(request).subscribers
    caller = book.caller(request.headers.get("authorization"))
    return JSONResponse(book.get(caller, request.path_params["id"]).as_json())


async def delete_subscription(request: Request) -> Response:
    """Remove one event subscription (its subscriber or the owner)."""
    book = runtime(request).subscribers
    caller = book.caller(request.headers.get("authorization"))
    return JSONResponse(book.remove(caller, request.path_params["id"]).as_json())


# -- certify -----------------------------------------------------------------------------


async def get_certify_status(request: Request) -> Response:
    """OK when every governance policy is met, else NOT COMPLIANT."""
    report = await runtime(request).certification()
    answer: answers.CertificationStatusAnswer = {
        "status": report["status"],
        "checkedAt": report["checkedAt"],
    }
    return JSONResponse(answer)


async def get_certify_report(request: Request) -> Response:
    """Each governance policy: certified or not, with its evidence."""
    return JSONResponse(await runtime(request).certification())


async def post_certify_subscribe(request: Request) -> Response:
    """Notify an endpoint when the share of certified policies crosses a threshold."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise BadInput('body: expected {"endpoint": "http://...", "threshold": 1.0}')
    watch = runtime(request).certification_watch
    endpoint = check_callback(body.get("endpoint"))
    return subscribe(request, lambda: watch.subscribe(endpoint, body.get("threshold")))


async def post_certify_publish(request: Request) -> Response:
    """Check the policies now and push the report to its subscribers (the owner only)."""
    product = runtime(request)
    product.authorize(request.headers.get("authorization"))
    return JSONResponse(await product.publish_certification())


# -- control -----------------------------------------------------------------------------


def control(action: str) -> Handler:
    """The handler of one state action."""

    async def handler(request: Request) -> Response:
        product = runtime(request)
        product.authorize(request.headers.get("authorization"))
        answer: answers.StateAnswer = {"state": product.control(action)}
        return JSONResponse(answer)

    handler.__doc__ = {
        "start": "Make the product available (running).",
        "stop": "Make the product unavailable (stopped).",
        "pause": "Stop serving data for a while (paused): consume answers 503.",
        "resume": "Serve data again after a pause.",
    }[action]
    return handler


async def post_configure(request: Request) -> Response:
    """Change the description and tags the metadata shows."""
    product = runtime(request)
    product.authorize(request.headers.get("authorization"))
    return JSONResponse(product.configure(await json_body(request)))


# -- consume -----------------------------------------------------------------------------


async def get_consume(request: Request) -> Response:
    """A page of a table's rows (the contract's columns only)."""
    params = request.query_params
    page = await runtime(request).consume(
        request.path_params["table"], params.get("limit"), params.get("offset")
    )
    return JSONResponse(page)


_ERRORS = (400, 401, 403, 404, 409, 429, 503)
_CONTRACT = Described(
    "The ODCS contract as written (placeholders resolved), by its apiVersion's schema",
    lambda defs, versions: contract_schema(versions, defs),
)
_METADATA = Described(
    "The product definition with its links", lambda defs, _: metadata_schema(defs)
)
_RELAYED = Described("The registry's answer, relayed as it came", registry_answer)

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("/discover/metadata", "GET", get_metadata, "discover", _METADATA),
    Endpoint(
        "/discover/contracts/{id}/{version}", "GET", get_contract, "discover", _CONTRACT,
        query=(("format", "string", "json (default) or yaml"),), statuses=(200, 400, 404),
        media_types=("application/json", "application/yaml"),
    ),
    Endpoint("/discover/artifacts", "GET", get_artifacts, "discover", answers.ArtifactList),
    Endpoint("/discover/artifact/{id}/metadata", "GET", get_artifact, "discover",
             answers.Artifact, statuses=(200, 404)),
    Endpoint("/discover/openapi.json", "GET", get_openapi, "discover",
             answers.OpenApiDocument),
    Endpoint(
        "/discover/registration", "POST", post_registration, "discover", _RELAYED, auth=True,
        body=answers.RegistrationRequest, statuses=(201, 400, 401, 403, 502, 504),
    ),
    Endpoint("/observe/health", "GET", get_health, "observe", answers.Health),
    Endpoint("/observe/metrics", "GET", get_metrics, "observe", answers.Metrics),
    Endpoint(
        "/observe/results", "GET", get_results, "observe", answers.ResultList,
        query=(("since", "string", "only results measured at or after this ISO 8601 time"),
               ("rule", "string", "only results of this rule or SLA property (its name)")),
        statuses=(200, 400),
    ),
    Endpoint("/observe/events/subscriptions", "POST", post_subscription, "observe",
             answers.NewSubscription, body=answers.SubscriptionRequest,
             statuses=(201, 400, 409, 429)),
    Endpoint("/observe/events/subscriptions", "GET", get_subscriptions, "observe",
             answers.SubscriptionList, auth=True, statuses=(200, 401, 403)),
    Endpoint("/observe/events/subscriptions/{id}", "GET", get_subscription, "observe",
             answers.Subscription, auth=True, statuses=(200, 401, 403, 404)),
    Endpoint("/observe/events/subscriptions/{id}", "DELETE", delete_subscription, "observe",
             answers.Subscription, auth=True, statuses=(200, 401, 403, 404)),
    Endpoint("/certify/status", "GET", get_certify_status, "certify",
             answers.CertificationStatusAnswer),
    Endpoint("/certify/report", "GET", get_certify_report, "certify",
             answers.CertificationReport),
    Endpoint("/certify/subscribe", "POST", post_certify_subscribe, "certify",
             answers.NewSubscription, body=answers.CertificationSubscriptionRequest,
             statuses=(201, 400, 409, 429)),
    Endpoint("/certify/publish", "POST", post_certify_publish, "certify",
             answers.CertificationReport, auth=True, statuses=(200, 401, 403)),
    *(
        Endpoint(f"/control/{action}", "POST", control(action), "control",
                 answers.StateAnswer, auth=True, statuses=(200, 401, 403, 409))
        for action in ("start", "stop", "pause", "resume")
    ),
    Endpoint("/control/configure", "POST", post_configure, "control", answers.Configured,
             auth=True, body=answers.ConfigureRequest, statuses=(200, 400, 401, 403)),
    Endpoint(
        "/consume/{table}", "GET", get_consume, "consume", answers.Page,
        query=(("limit", "integer", "rows to return, 1 to 10000 (default 100)"),
               ("offset", "integer", "rows to skip (default 0)")),
        statuses=(200, 400, 404, 503),
    ),
)  # fmt: skip
