"""Bearer JWTs: verified against the configured issuers, or refused.

A token is accepted only when its ``iss`` is a configured issuer, its header's ``alg`` is
one that issuer lists, its signature checks with that issuer's key, its ``aud`` holds the
issuer's audience, ``exp`` is in the future (``nbf``/``iat`` not ahead), and it names a
subject. Roles come from the issuer's ``roles_claim`` (a dotted path to a list of
strings, or a space-separated string).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jwt

from gateway.identity.issuers import Issuer
from gateway.identity.jwks import JwksCache, KeyUnavailable
from gateway.identity.principal import Principal

MAX_TOKEN_BYTES = 16 * 1024


class InvalidToken(Exception):
    """The token is not accepted; the message says why without echoing the token."""


class TokenVerifier:
    """Turns a bearer token into a :class:`Principal` (``kind="user"``)."""

    def __init__(self, issuers: Sequence[Issuer], jwks: JwksCache, *, leeway: float = 30.0):
        self._issuers = {i.issuer: i for i in issuers}
        self._jwks = jwks
        self._leeway = leeway

    @property
    def configured(self) -> bool:
        return bool(self._issuers)

    async def verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_BYTES:
            raise InvalidToken("the token is too large")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise InvalidToken("the token is not a well-formed JWT") from None
        issuer = self._issuers.get(str(unverified.get("iss", "")))
        if issuer is None:
            raise InvalidToken("the token's issuer is not trusted here")
        algorithm = str(header.get("alg", ""))
        if algorithm not in issuer.algorithms:
            raise InvalidToken(
                f"the issuer's tokens are signed with {', '.join(issuer.algorithms)}"
            )
        key = await self._key(issuer, header, algorithm)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=issuer.audience,
                issuer=issuer.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("the token is not meant for this gateway (audience)") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("the token is not valid yet") from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidToken(f"the token has no {exc.claim!r} claim") from None
        except jwt.PyJWTError:
            raise InvalidToken("the token's signature or claims do not verify") from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("the token's subject is empty")
        return Principal(
            subject,
            kind="user",
            roles=frozenset(roles_from(claims, issuer.roles_claim)),
            issuer=issuer.issuer,
        )

    async def _key(self, issuer: Issuer, header: Mapping[str, Any], algorithm: str) -> Any:
        if issuer.secret is not None:
            return issuer.secret
        assert issuer.jwks_url is not None
        kid = header.get("kid")
        try:
            return await self._jwks.key(
                issuer.jwks_url, str(kid) if kid is not None else None, algorithm
            )
        except KeyUnavailable as exc:
            raise InvalidToken(str(exc)) from None


def roles_from(claims: Mapping[str, Any], path: str) -> list[str]:
    """The roles at the dotted ``path`` of ``claims``.

    >>> roles_from({"realm_access": {"roles": ["a", "b"]}}, "realm_access.roles")
    ['a', 'b']
    >>> roles_from({"scope": "read write"}, "scope")
    ['read', 'write']
    """
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
