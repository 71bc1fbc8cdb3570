"""A local HS256 issuer for the demo and the tests: a secret file, an issuers file, tokens.

Production deployments trust their OIDC provider (RS256/ES256 with a JWKS URL); this
issuer exists so a newcomer's ``make serve`` and the test suite exercise the very same
verification path with real signed tokens.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import yaml


@dataclass(frozen=True)
class LocalIssuer:
    name: str
    audience: str
    secret: bytes
    issuers_file: Path

    @classmethod
    def create(
        cls, folder: str | Path, *, name: str = "meshgate-local", audience: str = "meshgate"
    ) -> LocalIssuer:
        """Write (or reuse) ``folder/jwt-secret`` and ``folder/issuers.yaml``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        secret_file = folder / "jwt-secret"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_urlsafe(48))
            secret_file.chmod(0o600)
        issuers_file = folder / "issuers.yaml"
        entry = {
            "issuer": name,
            "audience": audience,
            "algorithms": ["HS256"],
            "secret_file": str(secret_file.resolve()),
        }
        issuers_file.write_text(yaml.safe_dump({"issuers": [entry]}, sort_keys=False))
        return cls(name, audience, secret_file.read_bytes().strip(), issuers_file)

    def token(
        self, subject: str, roles: Iterable[str] = (), *, ttl: float = 3600, **claims: Any
    ) -> str:
        """A signed token for ``subject`` with ``roles``, valid ``ttl`` seconds."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.name,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + int(ttl),
            "roles": list(roles),
            **claims,
        }
        return jwt.encode(payload, self.secret, algorithm="HS256")
