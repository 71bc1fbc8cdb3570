"""From a request's credentials to a :class:`Principal`, or a refusal.

Credentials: ``Authorization: Bearer <JWT>`` (verified against the configured issuers),
``Authorization: Bearer mgk_...`` or ``X-API-Key: mgk_...`` (an API key). No credentials:
the anonymous principal, whom the anonymous-access setting and each field then judge.
Credentials that are present but wrong are refused, never downgraded to anonymous.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from gateway.errors import Unauthenticated
from gateway.identity.apikeys import ApiKeys, looks_like_key
from gateway.identity.issuers import load_issuers
from gateway.identity.jwks import JwksCache
from gateway.identity.principal import ANONYMOUS, Principal
from gateway.identity.tokens import InvalidToken, TokenVerifier
from gateway.settings import Settings

ANONYMOUS_ACCESS = ("none", "discovery")


class Authenticator:
    def __init__(
        self, verifier: TokenVerifier, keys: ApiKeys, http: httpx.AsyncClient | None = None
    ) -> None:
        self._verifier = verifier
        self._keys = keys
        self._http = http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def authenticate(self, headers: Mapping[str, str]) -> Principal:
        """The principal of a request with these (lower-case) headers."""
        api_key = headers.get("x-api-key")
        authorization = headers.get("authorization")
        if api_key is not None and authorization is not None:
            raise Unauthenticated("send one credential: Authorization or X-API-Key, not both")
        if api_key is not None:
            return self._key(api_key.strip())
        if authorization is None:
            return ANONYMOUS
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthenticated("Authorization: expected 'Bearer <token>'")
        if looks_like_key(credential):
            return self._key(credential)
        if not self._verifier.configured:
            raise Unauthenticated(
                "this gateway trusts no token issuer (MESHGATE_AUTH_ISSUERS_FILE)"
            )
        try:
            return await self._verifier.verify(credential)
        except InvalidToken as exc:
            raise Unauthenticated(f"bearer token refused: {exc}") from None

    def _key(self, credential: str) -> Principal:
        principal = self._keys.verify(credential)
        if principal is None:
            raise Unauthenticated("API key refused")
        return principal


def create_authenticator(settings: Settings) -> Authenticator:
    """The authenticator of ``settings``; raises ``ValueError`` on a bad issuers/keys file.

    Its own HTTP client reaches the operator's issuers (JWKS), never a product's hosts.
    """
    if settings.anonymous_access not in ANONYMOUS_ACCESS:
        raise ValueError(
            f"MESHGATE_ANONYMOUS_ACCESS={settings.anonymous_access!r}: expected one of "
            f"{', '.join(ANONYMOUS_ACCESS)}"
        )
    issuers = load_issuers(settings.auth_issuers_file, default_audience=settings.auth_audience)
    keys = ApiKeys.load(settings.api_keys_file)
    http = httpx.AsyncClient(timeout=5.0, follow_redirects=False)
    jwks = JwksCache(http, ttl=settings.auth_jwks_cache_seconds)
    verifier = TokenVerifier(issuers, jwks, leeway=settings.auth_leeway_seconds)
    return Authenticator(verifier, keys, http)
