"""The bearer token that guards the control interface."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping

from gateway.product.errors import Forbidden, Unauthorized

TOKEN_ENV = "MESHGATE_PRODUCT_TOKEN"


def resolve_token(token: str | None, env: Mapping[str, str]) -> tuple[str, bool]:
    """(token, generated): ``token``, else ``MESHGATE_PRODUCT_TOKEN``, else a new random one."""
    chosen = token or env.get(TOKEN_ENV)
    if chosen:
        return chosen, False
    return secrets.token_urlsafe(24), True


def check_bearer(authorization: str | None, token: str) -> None:
    """Raise :class:`Unauthorized` without a bearer token, :class:`Forbidden` with a wrong one.

    The comparison takes the same time wherever the tokens differ.

    >>> check_bearer("Bearer s3cret", "s3cret")
    """
    scheme, _, given = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized('control needs a header "Authorization: Bearer <token>"')
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Forbidden("the bearer token is not this product's control token")
