"""API keys for service accounts: the gateway stores only their SHA-256, never the key.

A key reads ``mgk_<id>_<secret>`` (``<secret>`` is 32 random bytes, URL-safe base64). The
operator keeps the keys file (``MESHGATE_API_KEYS_FILE``), one entry per key:

```yaml
keys:
  - id: 3f9a1c2e                 # the <id> part, for lookup and revocation
    name: nightly-report         # the principal's subject
    sha256: 5c1e...              # hex SHA-256 of the whole key
    roles: [analyst, precipitation_reader]
```

``meshgate apikey new NAME --roles a,b`` prints a fresh key once and the entry to add.
A plain SHA-256 suffices: the secret has 256 bits of entropy, nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gateway.identity.principal import Principal, normalise_roles

PREFIX = "mgk_"
_KEY = re.compile(r"^mgk_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")


class ApiKeyConfigError(ValueError):
    """The keys file is not usable; the message names the file and the entry."""


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    sha256: str
    roles: frozenset[str]


def digest(key: str) -> str:
    """The hex SHA-256 stored for ``key``."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(name: str, roles: Iterable[str]) -> tuple[str, ApiKey]:
    """A fresh key and its stored form.

    >>> key, stored = new_key("svc", ["Analyst"])
    >>> key.startswith("mgk_") and stored.sha256 == digest(key) and stored.roles
    frozenset({'analyst'})
    """
    key_id = secrets.token_hex(4)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    return key, ApiKey(key_id, name, digest(key), normalise_roles(roles))


def looks_like_key(credential: str) -> bool:
    return credential.startswith(PREFIX)


class ApiKeys:
    """The keys of the operator's file, by id."""

    def __init__(self, keys: Iterable[ApiKey] = ()) -> None:
        self._by_id = {k.id: k for k in keys}

    @classmethod
    def load(cls, path: str) -> ApiKeys:
        if not path:
            return cls()
        try:
            document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ApiKeyConfigError(f"{path}: cannot read the API keys file ({exc})") from None
        items = document.get("keys") if isinstance(document, Mapping) else None
        if not isinstance(items, list):
            raise ApiKeyConfigError(f"{path}: expected a mapping with a list under 'keys'")
        return cls(_entry(item, f"{path}: keys[{i}]") for i, item in enumerate(items))

    def verify(self, credential: str) -> Principal | None:
        """The service principal of ``credential``, or None when it is no valid key."""
        match = _KEY.match(credential)
        if match is None:
            return None
        stored = self._by_id.get(match.group(1))
        # Compare even when the id is unknown, so timing does not tell ids apart.
        expected = stored.sha256 if stored else "0" * 64
        if not hmac.compare_digest(digest(credential), expected) or stored is None:
            return None
        return Principal(stored.name, kind="service", roles=stored.roles)


def entry_yaml(key: ApiKey) -> str:
    """The keys-file entry for ``key``."""
    entry = {"id": key.id, "name": key.name, "sha256": key.sha256, "roles": sorted(key.roles)}
    return yaml.safe_dump([entry], sort_keys=False)


def _entry(item: Any, where: str) -> ApiKey:
    if not isinstance(item, Mapping):
        raise ApiKeyConfigError(f"{where}: expected a mapping")
    key_id, name, sha = (str(item.get(k) or "") for k in ("id", "name", "sha256"))
    if not re.fullmatch(r"[0-9a-f]{8}", key_id):
        raise ApiKeyConfigError(f"{where}.id: expected 8 hex digits")
    if not name:
        raise ApiKeyConfigError(f"{where}.name: expected a non-empty string")
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise ApiKeyConfigError(f"{where}.sha256: expected 64 hex digits")
    roles = item.get("roles") or []
    if not isinstance(roles, list):
        raise ApiKeyConfigError(f"{where}.roles: expected a list of strings")
    return ApiKey(key_id, name, sha, normalise_roles(roles))
