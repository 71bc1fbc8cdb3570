"""Bearer JWTs: verified against the configured issuers, or refused.

A token is accepted only when its ``iss`` is a configured issuer, its header's ``alg`` is
one that issuer lists, its signature checks with that issuer's key, its ``aud`` holds the
issuer's audience, ``exp`` is in the future (``nbf``/``iat`` not ahead), and it names a
subject. Roles come from the issuer's ``roles_claim`` (a dotted path to a list of
strings, or a space-separated string).

A token that verified is kept (by its SHA-256, at most ``max_kept`` of them, the oldest
dropped first) with its principal: the same token again is not parsed nor its signature
checked again (about 0.3 ms a request), but it is still refused once it expires, and
once the key that signed it is no longer its issuer's (the key set is asked for the key
each time, as on a first verification). A token that failed is never kept.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from gateway.identity.issuers import Issuer
from gateway.identity.jwks import JwksCache, KeyUnavailable
from gateway.identity.principal import Principal

MAX_TOKEN_BYTES = 16 * 1024
KEPT_TOKENS = 10_000


class InvalidToken(Exception):
    """The token is not accepted; the message says why without echoing the token."""


@dataclass(frozen=True)
class _Verified:
    """What a verified token gave, and what must still hold to take it again."""

    principal: Principal
    issuer: Issuer
    header: Mapping[str, Any]
    algorithm: str
    key: Any  # the key its signature checked with
    expires: int  # its ``exp``, in whole seconds as PyJWT reads it


class TokenVerifier:
    """Turns a bearer token into a :class:`Principal` (``kind="user"``)."""

    def __init__(
        self,
        issuers: Sequence[Issuer],
        jwks: JwksCache,
        *,
        leeway: float = 30.0,
        max_kept: int = KEPT_TOKENS,
    ):
        self._issuers = {i.issuer: i for i in issuers}
        self._jwks = jwks
        self._leeway = leeway
        self._kept: dict[bytes, _Verified] = {}
        self._max_kept = max_kept

    @property
    def configured(self) -> bool:
        return bool(self._issuers)

    async def verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_BYTES:
            raise InvalidToken("the token is too large")
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        kept = self._kept.get(digest)
        if kept is not None:
            # Still in date (PyJWT refuses once ``exp <= now - leeway``), and its key
            # still the issuer's.
            if kept.expires > time.time() - self._leeway:
                try:
                    key = await self._key(kept.issuer, kept.header, kept.algorithm)
                except InvalidToken:
                    self._kept.pop(digest, None)
                    raise
                if key is kept.key:
                    return kept.principal
            self._kept.pop(digest, None)  # verified again below: refused, or kept anew
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
        principal = Principal(
            subject,
            kind="user",
            roles=frozenset(roles_from(claims, issuer.roles_claim)),
            issuer=issuer.issuer,
        )
        if self._max_kept > 0:
            while len(self._kept) >= self._max_kept:
                del self._kept[next(iter(self._kept))]  # the oldest
            # Whole seconds, as PyJWT judges it (``int(exp)``; a float of a huge one
            # would overflow).
            expires = int(claims["exp"])
            self._kept[digest] = _Verified(principal, issuer, header, algorithm, key, expires)
        return principal

    @property
    def kept(self) -> int:
        """How many verified tokens are kept."""
        return len(self._kept)

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
