"""Errors of the product gateway kit, each with a stable code and an HTTP status.

They extend the gateway's one error tree (:class:`gateway.errors.GatewayError`); the HTTP
layer answers ``{"error": {"code", "message"}}`` with :attr:`status`.
"""

from __future__ import annotations

from gateway.errors import GatewayError


class ProductError(GatewayError):
    """Base of the kit's errors; ``status`` is the HTTP status it answers with."""

    code = "PRODUCT_ERROR"
    status = 500


class NotFound(ProductError):
    code = "NOT_FOUND"
    status = 404


class BadInput(ProductError):
    code = "BAD_REQUEST"
    status = 400


class Unauthorized(ProductError):
    """No bearer token was given (401)."""

    code = "UNAUTHORIZED"
    status = 401


class Forbidden(ProductError):
    """A bearer token was given but it is not this product's (403)."""

    code = "FORBIDDEN"
    status = 403


class InvalidState(ProductError):
    """A control action that the product's current state does not allow (409)."""

    code = "INVALID_STATE"
    status = 409


class TooManySubscriptions(ProductError):
    """The product keeps as many event subscriptions as its operator allows (409)."""

    code = "TOO_MANY_SUBSCRIPTIONS"
    status = 409


class RateLimited(ProductError):
    """A client made more requests of one kind than allowed in the window (429)."""

    code = "RATE_LIMITED"
    status = 429


class ProductPaused(ProductError):
    code = "PRODUCT_PAUSED"
    status = 503


class ProductStopped(ProductError):
    code = "PRODUCT_STOPPED"
    status = 503


class StoreUnavailable(ProductError):
    """The product's store did not answer or refused a query."""

    code = "STORE_UNAVAILABLE"
    status = 503


class RuleTimedOut(ProductError):
    """A SQL quality rule ran past its time limit and was cancelled by the store."""

    code = "SQL_RULE_TIMEOUT"
    status = 503


class RegistryUnreachable(ProductError):
    code = "UPSTREAM_UNAVAILABLE"
    status = 502


class ProductConfigError(ProductError):
    """The folder is valid ODPS/ODCS but the kit cannot serve it (no usable server ...)."""

    code = "INVALID_DESCRIPTOR"
    status = 500
