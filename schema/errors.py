"""What a caller sees of an error, and what the log keeps.

Every error carries ``extensions.code`` and ``extensions.requestId`` (the same id as the
``X-Request-Id`` header and the log lines). Errors that are not ours become "Internal
error." with code ``INTERNAL_ERROR``; private details (URLs, paths, HTTP statuses) are
shown to admins only. The log gets one line per refusal (no traceback: a refusal is not a
fault) and a traceback only for unexpected errors.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.schema import Schema
from strawberry.types import ExecutionContext

from gateway.errors import GatewayError, public_extensions

log = logging.getLogger("meshgate.graphql")


def should_mask(error: GraphQLError) -> bool:
    """Hide everything but our own errors and GraphQL's validation errors."""
    original = error.original_error
    if original is None or isinstance(original, GatewayError):
        return False
    # A GraphQLError raised on purpose (limits) carries its own code.
    return not (isinstance(original, GraphQLError) and original.extensions)


class PublicErrors(MaskErrors):
    """Mask unexpected errors; add the request id; keep private details for admins."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask, error_message="Internal error.")

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        context = self.execution_context.context
        principal = getattr(context, "principal", None)
        admin = bool(principal is not None and principal.is_admin)
        request_id = getattr(context, "request_id", None)
        shown: list[GraphQLError] = []
        for error in errors:
            if self.should_mask_error(error):
                public = self.anonymise_error(error)
                extensions: dict[str, Any] = {"code": "INTERNAL_ERROR"}
            else:
                public = error
                extensions = public_extensions(error.extensions or {}, admin=admin)
                # Validation errors of the document itself (unknown field, bad argument).
                extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
            if request_id is not None:
                extensions["requestId"] = request_id
            public.extensions = extensions
            shown.append(public)
        return shown


class MeshSchema(Schema):
    """Strawberry's schema with our error log: refusals in one line, faults in full."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        context = execution_context.context if execution_context else None
        request_id = getattr(context, "request_id", None)
        for error in errors:
            original = error.original_error
            if original is None or isinstance(original, GatewayError | GraphQLError):
                code = (error.extensions or {}).get("code", "GRAPHQL_VALIDATION_FAILED")
                log.info("request %s refused (%s): %s", request_id, code, error.message)
            else:
                log.error("request %s failed: %s", request_id, error.message, exc_info=original)
