"""A local HS256 issuer for the demo and the tests: a secret file, an issuers file, tokens.

Production deployments trust their OIDC provider (RS256/ES256 with a JWKS URL); this
issuer exists so a newcomer's ``make serve`` and the test suite exercise the very same
verification path with real signed tokens.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import yaml


def _create_whole(path: Path, text: str) -> None:
    """``path`` holding ``text`` (mode 0600) unless another process made it first."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    # Made 0600 from the start: no moment in which another user may read the secret.
    with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
        out.write(text)
    try:
        os.link(draft, path)  # fails if the file exists: the first one stays
    except FileExistsError:
        pass
    finally:
        draft.unlink()


def _replace_whole(path: Path, text: str) -> None:
    """``path`` replaced by ``text`` in one step (a reader sees the old or the new)."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    draft.write_text(text)
    os.replace(draft, path)


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
        """Write (or reuse) ``folder/jwt-secret`` and ``folder/issuers.yaml``. Processes
        doing it at once agree: the first secret written whole is everyone's, and no
        reader sees a file half written."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        secret_file = folder / "jwt-secret"
        if not secret_file.exists():
            _create_whole(secret_file, secrets.token_urlsafe(48))
        issuers_file = folder / "issuers.yaml"
        entry = {
            "issuer": name,
            "audience": audience,
            "algorithms": ["HS256"],
            "secret_file": str(secret_file.resolve()),
        }
        _replace_whole(issuers_file, yaml.safe_dump({"issuers": [entry]}, sort_keys=False))
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
