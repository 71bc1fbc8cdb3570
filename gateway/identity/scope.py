"""Where a request's principal and request id travel: two keys of the ASGI scope.

The authentication middleware (``gateway/http``) sets them once per request; everything
downstream (GraphQL context, SQL stream, registry routes) reads them from here, so there is
one answer to "who is asking" per request.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from gateway.identity.principal import ANONYMOUS, Principal

PRINCIPAL_KEY = "meshgate.principal"
REQUEST_ID_KEY = "meshgate.request_id"


def principal_of(scope: Mapping[str, Any] | None) -> Principal:
    """The request's principal; anonymous when none was set.

    >>> principal_of({}).anonymous
    True
    """
    found = (scope or {}).get(PRINCIPAL_KEY)
    return found if isinstance(found, Principal) else ANONYMOUS


def request_id_of(scope: Mapping[str, Any] | None) -> str | None:
    """The request's id (sent back as ``X-Request-Id``), if one was set."""
    found = (scope or {}).get(REQUEST_ID_KEY)
    return found if isinstance(found, str) else None


def bind(scope: MutableMapping[str, Any], principal: Principal, request_id: str) -> None:
    """Record who asks and the request's id in ``scope``."""
    scope[PRINCIPAL_KEY] = principal
    scope[REQUEST_ID_KEY] = request_id
