"""Signing keys of asymmetric issuers, fetched from their JWKS URL and cached.

Keys are kept ``ttl`` seconds. A token signed with a key id the cache does not know
triggers one refetch (key rotation), but at most once per ``min_refetch`` seconds, so a
flood of tokens with made-up key ids cannot turn into a flood of requests to the issuer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt

log = logging.getLogger(__name__)

MAX_JWKS_BYTES = 256 * 1024


class KeyUnavailable(Exception):
    """No key of the issuer matches the token (or the issuer's JWKS is unreachable)."""


@dataclass
class _Entry:
    keys: dict[str, Any] = field(default_factory=dict)  # kid -> (PyJWK, alg or None)
    fetched: float = float("-inf")


class JwksCache:
    """Per-URL key sets. ``http`` is a client the operator's issuers are reached with."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        ttl: float = 300.0,
        min_refetch: float = 30.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._ttl = ttl
        self._min_refetch = min_refetch
        self._timeout = timeout
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def key(self, url: str, kid: str | None, algorithm: str) -> Any:
        """The verification key for ``kid`` at ``url`` (refetching once if unknown)."""
        entry = self._entries.get(url)
        now = self._clock()
        if entry is None or now - entry.fetched > self._ttl:
            entry = await self._refresh(url, force=True)
        found = _pick(entry, kid, algorithm)
        if found is None and self._clock() - entry.fetched >= self._min_refetch:
            entry = await self._refresh(url, force=False)
            found = _pick(entry, kid, algorithm)
        if found is None:
            raise KeyUnavailable("no signing key of the issuer matches the token")
        return found.key

    async def _refresh(self, url: str, *, force: bool) -> _Entry:
        lock = self._locks.setdefault(url, asyncio.Lock())
        async with lock:
            entry = self._entries.get(url) or _Entry()
            age = self._clock() - entry.fetched
            # Another request refreshed it while this one waited for the lock.
            if (force and age <= self._ttl) or (not force and age < self._min_refetch):
                return entry
            try:
                keys = await asyncio.wait_for(self._fetch(url), self._timeout)
            except (httpx.HTTPError, TimeoutError, ValueError, jwt.PyJWTError) as exc:
                log.warning("JWKS %s could not be read: %s", url, exc)
                entry.fetched = self._clock()  # do not hammer a failing issuer
                self._entries[url] = entry
                if not entry.keys:
                    raise KeyUnavailable("the issuer's signing keys are unavailable") from None
                return entry  # keep the keys we had
            fresh = _Entry(keys=keys, fetched=self._clock())
            self._entries[url] = fresh
            return fresh

    async def _fetch(self, url: str) -> dict[str, Any]:
        response = await self._http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        if len(response.content) > MAX_JWKS_BYTES:
            raise ValueError(f"JWKS larger than {MAX_JWKS_BYTES} bytes")
        document = response.json()
        keys: dict[str, Any] = {}
        for raw in document.get("keys", []) if isinstance(document, dict) else []:
            if not isinstance(raw, dict) or raw.get("use", "sig") != "sig":
                continue
            if raw.get("kty") not in ("RSA", "EC"):
                continue  # a symmetric ("oct") key published in a JWKS is never trusted
            try:
                key = jwt.PyJWK(raw)
            except jwt.PyJWTError:
                continue  # a key type this library cannot use: skip it, keep the others
            keys[str(raw.get("kid", ""))] = (key, raw.get("alg"))
        return keys


def _pick(entry: _Entry, kid: str | None, algorithm: str) -> Any:
    if kid is not None:
        key = entry.keys.get(kid)
    elif len(entry.keys) == 1:
        key = next(iter(entry.keys.values()))
    else:
        key = None
    if key is None:
        return None
    found, declared = key
    # A key that names its algorithm ("alg") is used for that algorithm only.
    if declared and declared != algorithm:
        return None
    return found
