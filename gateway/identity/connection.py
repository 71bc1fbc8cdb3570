"""The credentials of a WebSocket connection: its upgrade request's headers, or the
``connection_init`` payload of graphql-transport-ws.

A browser's WebSocket cannot set headers, so a page sends its token in the payload
(``{"Authorization": "Bearer ..."}``); other clients may send it in the upgrade request.
Both end in the same headers for the same :class:`~gateway.identity.authenticate.Authenticator`
as HTTP. A credential given both ways is refused rather than one silently preferred.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.errors import Unauthenticated
from gateway.identity.authenticate import Authenticator
from gateway.identity.principal import Principal

CREDENTIALS = ("authorization", "x-api-key")
MAX_CREDENTIAL_CHARS = 16_384
"""A longer credential in a payload is no token of ours (the HTTP server caps headers)."""


def connection_headers(
    headers: Mapping[str, str], payload: Mapping[str, Any] | None
) -> dict[str, str]:
    """The credential headers of a connection (lower-case names), from the upgrade
    request's ``headers`` and the ``connection_init`` ``payload``.

    >>> connection_headers({}, {"Authorization": "Bearer t"})
    {'authorization': 'Bearer t'}
    >>> connection_headers({"authorization": "Bearer t"}, None)
    {'authorization': 'Bearer t'}
    """
    found = {name: headers[name] for name in CREDENTIALS if name in headers}
    for key, value in (payload or {}).items():
        name = str(key).lower()
        if name not in CREDENTIALS:
            continue
        if not isinstance(value, str) or len(value) > MAX_CREDENTIAL_CHARS:
            raise Unauthenticated(
                f"connection_init payload: {key} must be a string credential", credentials=True
            )
        if name in found:
            raise Unauthenticated(
                f"send {key} once: in the upgrade request or in connection_init, not both",
                credentials=True,
            )
        found[name] = value
    return found


FAILURE_KEY = "meshgate.auth_failure"
"""Scope key of the callback that counts a connection's wrong credentials against its
address (set by the HTTP edge, which owns the per-address failure budget)."""


def note_failure(scope: Mapping[str, Any]) -> None:
    """Count one wrong credential of this connection's address, if the edge asked to."""
    callback = scope.get(FAILURE_KEY)
    if callable(callback):
        callback()


async def authenticate_connection(
    authenticator: Authenticator, headers: Mapping[str, str], payload: Mapping[str, Any] | None
) -> Principal:
    """The signed-in caller of a connection; :class:`Unauthenticated` for wrong
    credentials (``details["credentials"]``: some were sent) or none (anonymous)."""
    found = connection_headers(headers, payload)
    try:
        principal = await authenticator.authenticate(found)
    except Unauthenticated as exc:
        raise Unauthenticated(exc.message, credentials=True) from None
    if principal.anonymous:
        raise Unauthenticated(
            "live subscriptions need a signed-in caller: send Authorization in the upgrade "
            "request or in the connection_init payload"
        )
    return principal
