"""The bearer token that guards the control interface."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping

from productkit.errors import Forbidden, Unauthorized

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
    given = bearer_token(authorization, 'control needs a header "Authorization: Bearer <token>"')
    if not is_token(given, token):
        raise Forbidden("the bearer token is not this product's control token")


def bearer_token(authorization: str | None, needed: str) -> str:
    """The token of a ``Bearer`` header; raise :class:`Unauthorized` (``needed``) without one.

    >>> bearer_token("Bearer abc ", "x")
    'abc'
    """
    scheme, _, given = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized(needed)
    return given.strip()


def is_token(given: str, token: str) -> bool:
    """Whether ``given`` is ``token``, in the same time wherever they differ."""
    return hmac.compare_digest(given.encode(), token.encode())
