"""The shapes of the product gateway's answers and request bodies, as typed models.

The runtime builds its answers as these TypedDicts (plain dicts at run time, checked by
mypy where they are made), and :mod:`productkit.http.openapi` turns the same classes
into the OpenAPI document's schemas (:mod:`productkit.schemagen`), so the document
describes exactly what the handlers send. Keys are the JSON names (camelCase). Answers
are closed: a key not listed here is a bug that the tests catch against the document.

Two answers are third-party documents and are described by their standard's schema
instead (see :mod:`productkit.http.schemas`): a contract (ODCS) and the product
definition's descriptor.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired, TypedDict

from productkit.schemagen import Keywords, open_model

Uri = Annotated[str, Keywords(format="uri")]
Time = Annotated[str, Keywords(format="date-time")]
RunState = Literal["running", "paused", "stopped"]
HealthStatus = Literal["UP", "DEGRADED", "DOWN", "PAUSED", "STOPPED"]
CheckStatus = Literal["UP", "DEGRADED", "DOWN"]
CertificationStatus = Literal["OK", "NOT COMPLIANT"]
#: One value of a consumed row: JSON scalars (times, decimals, NaN as strings), or the
#: lists and objects of nested column types.
Cell = str | int | float | bool | None | list[Any] | dict[str, Any]


# -- errors ------------------------------------------------------------------------------


class ErrorDetail(TypedDict):
    """What went wrong: a stable ``code``, a message, and the details some codes carry."""

    code: str
    message: str
    argument: NotRequired[Annotated[str, "the request argument that was refused"]]
    state: NotRequired[Annotated[str, "the product's state (INVALID_STATE)"]]
    limit: NotRequired[Annotated[int, "the limit reached (TOO_MANY_SUBSCRIPTIONS)"]]
    retryAfter: NotRequired[Annotated[int, "seconds to wait (RATE_LIMITED)"]]


class Error(TypedDict):
    """Every error answer of the product gateway."""

    error: ErrorDetail


# -- discover ----------------------------------------------------------------------------


class ArtifactLinks(TypedDict):
    metadata: Uri
    sample: NotRequired[Uri]
    data: Uri


class Artifact(TypedDict):
    """One artifact of the product: a table, an output contract or the descriptor."""

    id: str
    name: str
    type: Literal["table", "contract", "descriptor"]
    description: str | None
    tags: list[str]
    roles: list[str]
    license: str | None
    contractId: str | None
    contractVersion: str | None
    columns: NotRequired[Annotated[list[str], "a table's columns"]]
    links: ArtifactLinks


class ArtifactList(TypedDict):
    artifacts: list[Artifact]


class OpenApiInfo(TypedDict):
    title: str
    version: str
    description: str


@open_model
class OpenApiDocument(TypedDict):
    """This document: OpenAPI 3.1 (see the OpenAPI specification for its parts)."""

    openapi: str
    info: OpenApiInfo
    servers: list[dict[str, str]]
    tags: list[dict[str, str]]
    paths: dict[str, dict[str, Any]]
    components: dict[str, Any]


class RegistrationRequest(TypedDict):
    """Where to register; may be left out when the operator lists one registry."""

    registry: NotRequired[Uri]


# -- observe -----------------------------------------------------------------------------


class HealthCheck(TypedDict):
    name: Annotated[str, "store, store:<name> or freshness:<table>"]
    status: CheckStatus
    latencyMs: float | None
    message: str | None


class TableHealth(TypedDict):
    name: str
    rowCount: int | None
    lastUpdated: Time | None
    error: NotRequired[Annotated[str, "why the table could not be read"]]


class Health(TypedDict):
    """Health computed from the store: reachability, row counts, freshness."""

    status: HealthStatus
    state: RunState
    checkedAt: Time
    checks: list[HealthCheck]
    tables: list[TableHealth]


class RequestCounts(TypedDict):
    total: int
    byRoute: Annotated[dict[str, int], "requests per route template"]
    serverErrors: int
    meanLatencyMs: float | None


class ConsumeCounts(TypedDict):
    requests: int
    rowsServed: int


class TableSize(TypedDict):
    name: str
    rowCount: int | None
    lastUpdated: Time | None
    bytes: int | None


class Counters(TypedDict):
    """The in-memory counters (without the tables' sizes)."""

    uptimeSeconds: float
    requests: RequestCounts
    consume: ConsumeCounts


class Metrics(Counters):
    """Usage and performance counters, and each table's size."""

    tables: list[TableSize]


class ObservabilityResult(TypedDict):
    """One OORS result of a quality rule (``dq``) or a latency SLA (``sla``)."""

    id: str
    kind: Literal["ObservabilityResult"]
    apiVersion: str
    timestamp: Time
    emitter: str
    criteria: Literal["dq", "sla"]
    property: str
    value: float | int | str | None
    unit: str | None
    element: str
    passed: bool | None
    contractId: str
    contractVersion: str
    dimension: NotRequired[str]
    severity: NotRequired[str]
    note: NotRequired[Annotated[str, "why the rule was not judged"]]
    error: NotRequired[str]
    errorCode: NotRequired[Literal["SQL_RULE_REFUSED", "SQL_RULE_TIMEOUT"]]
    threshold: NotRequired[float | int]
    lastUpdated: NotRequired[Time]


class ResultList(TypedDict):
    results: list[ObservabilityResult]


EventType = Literal[
    "*",
    "product.stateChanged",
    "product.configured",
    "certification.changed",
    "certification.published",
]


@open_model
class SubscriptionRequest(TypedDict):
    """Subscribe an http(s) endpoint to event types (default: every type)."""

    endpoint: Annotated[Uri, Keywords(maxLength=2048)]
    events: NotRequired[Annotated[list[EventType], Keywords(minItems=1)]]


class Subscription(TypedDict):
    """One event subscription and how its deliveries went."""

    id: str
    endpoint: Uri
    events: list[str]
    threshold: NotRequired[Annotated[float, "certification subscriptions only"]]
    delivered: int
    failed: int
    lastError: Literal["address not allowed", "timeout", "not delivered"] | None


class NewSubscription(Subscription):
    """A subscription just made, with its secret (shown only in this answer)."""

    secret: str


class SubscriptionList(TypedDict):
    subscriptions: list[Subscription]


# -- certify -----------------------------------------------------------------------------


class CertificationStatusAnswer(TypedDict):
    status: CertificationStatus
    checkedAt: Time


class PolicyVerdict(TypedDict):
    id: str
    name: str
    area: str
    certified: bool
    evidence: str


class CertificationReport(TypedDict):
    """Each governance policy: certified or not, with its evidence."""

    status: CertificationStatus
    checkedAt: Time
    productId: str
    policies: list[PolicyVerdict]


@open_model
class CertificationSubscriptionRequest(TypedDict):
    """Be told when the share of certified policies crosses ``threshold`` (default 1)."""

    endpoint: Annotated[Uri, Keywords(maxLength=2048)]
    threshold: NotRequired[Annotated[float, Keywords(minimum=0, maximum=1)]]


# -- control -----------------------------------------------------------------------------


class StateAnswer(TypedDict):
    state: RunState


class ConfigureRequest(TypedDict):
    description: NotRequired[str | None]
    tags: NotRequired[list[Annotated[str, Keywords(minLength=1)]]]


class Configured(TypedDict):
    """The state, and the description and tags the metadata now shows."""

    state: RunState
    description: str | None
    tags: list[str]


# -- consume -----------------------------------------------------------------------------


class Page(TypedDict):
    """A page of a table's rows: the contract's columns only, in the contract's order."""

    table: str
    columns: list[str]
    rows: list[list[Cell]]
    limit: int
    offset: int
