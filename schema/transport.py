"""Each operation on its own transport: queries and mutations over HTTP, subscriptions
over the WebSocket.

The HTTP edge is where the per-caller rate limit, the concurrency cap and the body cap
stand; a query sent over a long-lived WebSocket would pass beside all three. And a
subscription over HTTP (multipart streaming) would hold a request open outside the
WebSocket's seats and init deadline. So each transport carries only its own kind, and
the refusal is a validation error: no resolver runs.
"""

from __future__ import annotations

from typing import Any

from graphql import ValidationContext
from strawberry.types.graphql import OperationType

from gateway.errors import GatewayError
from schema.document_cache import PerRequestRule


class WrongTransport(GatewayError):
    """An operation sent over the transport that does not carry its kind."""

    code = "WRONG_TRANSPORT"


def over_websocket(context: Any) -> bool:
    """Whether this operation came over the WebSocket (graphql-transport-ws)."""
    request = getattr(context, "request", None)
    return bool(getattr(request, "scope", {}).get("type") == "websocket")


class TransportRule(PerRequestRule):
    """Refuse an operation sent over the transport that does not carry its kind."""

    def __init__(self, validation: ValidationContext) -> None:
        super().__init__(validation)
        execution = self.request()
        try:
            kind = execution.operation_type
        except Exception:  # noqa: BLE001 - no single operation: validation says so
            return
        self.refuse(_judge(kind, over_websocket(execution.context)))


def _judge(kind: OperationType, websocket: bool) -> WrongTransport | None:
    if kind is OperationType.SUBSCRIPTION and not websocket:
        return WrongTransport(
            "subscriptions are served over a WebSocket on /graphql (graphql-transport-ws)"
        )
    if kind is not OperationType.SUBSCRIPTION and websocket:
        return WrongTransport(
            "the WebSocket carries subscriptions only; send queries and mutations over "
            "HTTP POST /graphql"
        )
    return None
