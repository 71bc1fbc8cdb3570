"""The operator's list of trusted token issuers, read from one YAML (or JSON) file.

```yaml
issuers:
  - issuer: https://login.example.com/realms/mesh   # the token's `iss`, exactly
    audience: meshgate                               # required `aud` (default: the setting)
    algorithms: [RS256, ES256]                       # asymmetric: keys from jwks_url
    jwks_url: https://login.example.com/realms/mesh/protocol/openid-connect/certs
    roles_claim: realm_access.roles                  # dotted path to a list of roles
  - issuer: meshgate-demo
    algorithms: [HS256]                              # shared secret, never in this file:
    secret_env: MESHGATE_DEMO_JWT_SECRET             # read from the environment, or
    # secret_file: /run/secrets/jwt                  # from a file
```

An issuer is either symmetric (HS256/384/512 with a secret) or asymmetric (RS*/ES*/PS*
with a JWKS URL), never both: a key for one family is never tried with the other
(no algorithm confusion). ``none`` is never accepted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SYMMETRIC = frozenset({"HS256", "HS384", "HS512"})
ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"}
)
MIN_SECRET_BYTES = 32


class IssuerConfigError(ValueError):
    """The issuers file is not usable; the message names the file and the field."""


@dataclass(frozen=True)
class Issuer:
    """One trusted issuer of bearer tokens."""

    issuer: str
    audience: str
    algorithms: tuple[str, ...]
    roles_claim: str = "roles"
    secret: bytes | None = None
    jwks_url: str | None = None

    @property
    def symmetric(self) -> bool:
        return self.secret is not None


def load_issuers(path: str, *, default_audience: str) -> tuple[Issuer, ...]:
    """The issuers of the file at ``path`` (empty path: none)."""
    if not path:
        return ()
    file = Path(path)
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise IssuerConfigError(f"{path}: cannot read the issuers file ({exc})") from None
    items = document.get("issuers") if isinstance(document, Mapping) else None
    if not isinstance(items, list):
        raise IssuerConfigError(f"{path}: expected a mapping with a list under 'issuers'")
    issuers = tuple(
        parse_issuer(item, where=f"{path}: issuers[{i}]", default_audience=default_audience)
        for i, item in enumerate(items)
    )
    names = [i.issuer for i in issuers]
    if len(set(names)) != len(names):
        raise IssuerConfigError(f"{path}: an issuer is listed twice")
    return issuers


def parse_issuer(item: Any, *, where: str, default_audience: str) -> Issuer:
    """One issuer entry, checked field by field."""
    if not isinstance(item, Mapping):
        raise IssuerConfigError(f"{where}: expected a mapping")
    issuer = _text(item, "issuer", where)
    audience = str(item.get("audience") or default_audience)
    algorithms = _algorithms(item.get("algorithms"), where)
    roles_claim = str(item.get("roles_claim") or "roles")
    if set(algorithms) <= SYMMETRIC:
        secret = _secret(item, where)
        if item.get("jwks_url"):
            raise IssuerConfigError(f"{where}: jwks_url is for asymmetric algorithms only")
        return Issuer(issuer, audience, algorithms, roles_claim, secret=secret)
    if set(algorithms) <= ASYMMETRIC:
        url = _text(item, "jwks_url", where)
        if not url.startswith(("https://", "http://")):
            raise IssuerConfigError(f"{where}.jwks_url: expected an http(s) URL")
        if item.get("secret_env") or item.get("secret_file"):
            raise IssuerConfigError(f"{where}: a secret is for HS algorithms only")
        return Issuer(issuer, audience, algorithms, roles_claim, jwks_url=url)
    raise IssuerConfigError(
        f"{where}.algorithms: mix of symmetric and asymmetric algorithms {list(algorithms)}; "
        "list one issuer per family"
    )


def _text(item: Mapping[str, Any], key: str, where: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not value.strip():
        raise IssuerConfigError(f"{where}.{key}: expected a non-empty string")
    return value.strip()


def _algorithms(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise IssuerConfigError(f"{where}.algorithms: expected a non-empty list, e.g. [RS256]")
    known = SYMMETRIC | ASYMMETRIC
    algorithms = tuple(str(a).upper() for a in value)
    unknown = [a for a in algorithms if a not in known]
    if unknown:
        raise IssuerConfigError(
            f"{where}.algorithms: {unknown} not accepted; expected some of {sorted(known)}"
        )
    return algorithms


def _secret(item: Mapping[str, Any], where: str) -> bytes:
    if item.get("secret_env"):
        name = str(item["secret_env"])
        raw = os.environ.get(name)
        if not raw:
            raise IssuerConfigError(f"{where}.secret_env: the variable {name} is not set")
        secret = raw.encode()
    elif item.get("secret_file"):
        try:
            secret = Path(str(item["secret_file"])).read_bytes().strip()
        except OSError:
            raise IssuerConfigError(f"{where}.secret_file: cannot read the file") from None
    else:
        raise IssuerConfigError(f"{where}: HS algorithms need secret_env or secret_file")
    if len(secret) < MIN_SECRET_BYTES:
        raise IssuerConfigError(
            f"{where}: the secret has {len(secret)} bytes; at least {MIN_SECRET_BYTES} needed"
        )
    return secret
