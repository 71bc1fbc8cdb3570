"""Identity: who the caller is (JWTs from configured issuers, API keys, or anonymous)."""

from __future__ import annotations

from gateway.identity.principal import (
    ADMIN_ROLE,
    ANONYMOUS,
    OWNER_PREFIX,
    Principal,
    normalise_roles,
)

__all__ = ["ADMIN_ROLE", "ANONYMOUS", "OWNER_PREFIX", "Principal", "normalise_roles"]
