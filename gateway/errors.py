"""One error tree with stable codes.

Every error the gateway raises on purpose is a :class:`GatewayError`; its ``code`` is
part of the public API (it reaches clients as ``extensions.code``). Foreign exceptions
(httpx, database drivers, contracts validation) are translated once at each boundary.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Details that help an operator but tell a caller about hosts, files or the network
# (an upstream URL, an HTTP status that tells a refused port from an open one, a path):
# kept in the log and shown to admins only.
PRIVATE_DETAILS = frozenset({"url", "status", "path", "host", "file", "executedSql"})


def public_extensions(extensions: Mapping[str, Any], *, admin: bool) -> dict[str, Any]:
    """``extensions`` as a caller may see them: private details only for admins.

    >>> public_extensions({"code": "X", "url": "http://10.0.0.1/"}, admin=False)
    {'code': 'X'}
    """
    return {k: v for k, v in extensions.items() if admin or k not in PRIVATE_DETAILS}


def error_body(exc: GatewayError, *, request_id: str | None, admin: bool = False) -> dict[str, Any]:
    """The JSON body of an HTTP error answer: ``{"error": {message, code, ..., requestId}}``."""
    error = {"message": exc.message, **public_extensions(exc.extensions, admin=admin)}
    if request_id is not None:
        error["requestId"] = request_id
    return {"error": error}


class GatewayError(Exception):
    """Base of every error the gateway reports to a client."""

    code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, product_id: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.product_id = product_id
        self.details = details

    @property
    def extensions(self) -> dict[str, Any]:
        """The ``extensions`` object of the GraphQL error for this exception.

        graphql-core copies an ``extensions`` dict attribute of the original error into
        the GraphQL error, so clients see ``code`` and ``productId``.
        """
        ext: dict[str, Any] = {"code": self.code}
        if self.product_id is not None:
            ext["productId"] = self.product_id
        ext.update({k: v for k, v in self.details.items() if v is not None})
        return ext


class BadRequest(GatewayError):
    code = "BAD_REQUEST"


class Unauthenticated(GatewayError):
    """Credentials are missing where needed, or present and not accepted."""

    code = "UNAUTHENTICATED"


class ProductNotFound(GatewayError):
    code = "PRODUCT_NOT_FOUND"


class ContractNotFound(GatewayError):
    code = "CONTRACT_NOT_FOUND"


class InvalidDescriptor(GatewayError):
    """A product's ODPS descriptor or one of its contracts failed validation."""

    code = "INVALID_DESCRIPTOR"


class RegistryError(GatewayError):
    code = "REGISTRY_ERROR"


class UpstreamError(GatewayError):
    """A product gateway could not be reached or answered badly."""

    code = "UPSTREAM_ERROR"


class UpstreamTimeout(UpstreamError):
    code = "UPSTREAM_TIMEOUT"


class UpstreamUnavailable(UpstreamError):
    code = "UPSTREAM_UNAVAILABLE"


class UpstreamBadResponse(UpstreamError):
    code = "UPSTREAM_BAD_RESPONSE"


class SqlEngineError(GatewayError):
    """The SQL engine refused or failed a query; ``message`` is the engine's useful line."""

    code = "SQL_ENGINE_ERROR"


class SqlTimeout(SqlEngineError):
    """The query ran past its time limit and was interrupted."""

    code = "SQL_TIMEOUT"


class SqlMemoryLimit(SqlEngineError):
    """The query needed more memory than the engine may use."""

    code = "SQL_MEMORY_LIMIT"


class EngineUnavailable(SqlEngineError):
    """The SQL engine (a Trino server) could not be reached."""

    code = "ENGINE_UNAVAILABLE"


class SqlNotAllowed(GatewayError):
    """A SQL statement is not one read-only query over the mesh; ``reason`` says why."""

    code = "SQL_NOT_ALLOWED"

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(f"SQL not allowed: {reason}", reason=reason, **details)
        self.reason = reason


class SqlInvalid(GatewayError):
    """A SQL statement does not parse; ``line`` and ``col`` point at the problem."""

    code = "SQL_INVALID"


class SqlTooLarge(GatewayError):
    """A SQL statement exceeds a size limit (bytes, nesting, nodes)."""

    code = "SQL_TOO_LARGE"


class TableNotFound(GatewayError):
    """A SQL statement names a table no registered output contract declares."""

    code = "TABLE_NOT_FOUND"


class TableUnavailable(GatewayError):
    """A SQL statement names a table the engine may not read: its contract's server points
    where the operator does not allow (``reason`` says what, without paths or hosts)."""

    code = "TABLE_UNAVAILABLE"


class ProductUnavailable(GatewayError):
    """A SQL statement names a table of a registered product whose contract cannot be read
    now (the product is down or missed the catalog's deadline): it is not queried on a
    copy that may be out of date, and the caller learns which product is at fault."""

    code = "PRODUCT_UNAVAILABLE"


class ColumnNotFound(GatewayError):
    """A SQL statement names a column the table's contract does not declare."""

    code = "COLUMN_NOT_FOUND"


class Forbidden(GatewayError):
    """The caller lacks the role the product's contract (or the gateway) requires;
    ``roles`` name the roles that would grant it."""

    code = "FORBIDDEN"


class SqlPlanTimeout(SqlTooLarge):
    """Planning a SQL statement took longer than ``sql_plan_timeout_seconds``."""

    code = "SQL_PLAN_TIMEOUT"


class SqlResultTooLarge(GatewayError):
    """A SQL answer (or one streamed row) has more bytes than ``sql_max_result_bytes``."""

    code = "SQL_RESULT_TOO_LARGE"


# -- limits on a request (issue 6, holes 7 and 9) -----------------------------------------


class BodyTooLarge(GatewayError):
    """The HTTP body is larger than ``max_body_bytes`` (HTTP 413)."""

    code = "BODY_TOO_LARGE"


class UnsupportedMediaType(GatewayError):
    """A state-changing request whose body is not ``application/json`` (HTTP 415)."""

    code = "UNSUPPORTED_MEDIA_TYPE"


class RateLimited(GatewayError):
    """The caller sent too many requests, or too many at once (HTTP 429)."""

    code = "RATE_LIMITED"


class VariablesTooLarge(GatewayError):
    """A GraphQL request's variables, serialized, exceed ``max_variables_bytes``."""

    code = "VARIABLES_TOO_LARGE"


class TooManyRootFields(GatewayError):
    """A GraphQL operation selects more root fields than ``max_root_fields``."""

    code = "TOO_MANY_ROOT_FIELDS"


class QueryTooCostly(GatewayError):
    """A GraphQL operation's computed cost, or its count of ``sql`` fields, is over a cap."""

    code = "QUERY_TOO_COSTLY"


class UpstreamLinkRefused(UpstreamError):
    """A link in a product's answer points outside the product's registered base URL."""

    code = "UPSTREAM_LINK_REFUSED"


class UpstreamAddressRefused(UpstreamError):
    """A product URL resolves to an address the operator did not allow (loopback,
    private, link-local...); nothing was sent."""

    code = "UPSTREAM_ADDRESS_REFUSED"


class NotAcceptable(GatewayError):
    """A GraphQL request whose Accept header allows neither
    ``application/graphql-response+json`` nor ``application/json`` (HTTP 406)."""

    code = "NOT_ACCEPTABLE"
