"""Identity: who the caller is (JWTs from configured issuers, API keys, or anonymous)."""

from __future__ import annotations

from gateway.identity.principal import (
    ADMIN_ROLE,
    ANONYMOUS,
    OWNER_PREFIX,
    Principal,
    normalise_roles,
)
from gateway.identity.scope import PRINCIPAL_KEY, REQUEST_ID_KEY, bind, principal_of, request_id_of

__all__ = [
    "ADMIN_ROLE",
    "ANONYMOUS",
    "OWNER_PREFIX",
    "PRINCIPAL_KEY",
    "REQUEST_ID_KEY",
    "Principal",
    "bind",
    "normalise_roles",
    "principal_of",
    "request_id_of",
]
