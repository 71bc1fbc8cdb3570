"""Where a product gateway may send requests: its operator's registries and allowed
addresses.

The kit makes two kinds of outbound request: the registration relay
(``POST /discover/registration``) and event deliveries to subscribers. Both would
otherwise go wherever a request body says, so:

- the relay posts only to a registry URL listed in ``MESHGATE_PRODUCT_REGISTRIES``
  (comma-separated, in ``product.env`` or the environment; none listed: the relay is off);
- both connect only to public addresses, plus the networks listed in
  ``MESHGATE_PRODUCT_ALLOWED_NETWORKS`` (comma-separated CIDRs; e.g. ``127.0.0.1/32``
  for a mesh on one machine), checked on every resolved address, pinned against DNS
  rebinding (:mod:`gateway.net.transport`);
- each request runs under one total deadline.

The registry itself asks who registers (a product's owner or an admin), so the relay
sends ``MESHGATE_PRODUCT_REGISTRY_TOKEN`` (a gateway API key or token of the product's
owner, kept in ``product.env``) as its bearer token, and only to a listed registry.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from gateway.net.addresses import AddressPolicy
from productkit.errors import BadInput, ProductError

REGISTRIES_ENV = "MESHGATE_PRODUCT_REGISTRIES"
ALLOWED_NETWORKS_ENV = "MESHGATE_PRODUCT_ALLOWED_NETWORKS"
REGISTRY_TOKEN_ENV = "MESHGATE_PRODUCT_REGISTRY_TOKEN"


class RegistryNotConfigured(ProductError):
    """The relay was asked to post to a registry the product's operator did not list."""

    code = "REGISTRY_NOT_CONFIGURED"
    status = 403


class AddressRefused(ProductError):
    """An outbound URL resolves to an address the product's operator did not allow."""

    code = "UPSTREAM_ADDRESS_REFUSED"
    status = 502


class RegistryTimeout(ProductError):
    code = "UPSTREAM_TIMEOUT"
    status = 504


def _canonical(url: str) -> str:
    """``url`` with scheme and host lower-cased and no trailing slash, for comparison."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc.lower()
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}" + (
        f"?{parts.query}" if parts.query else ""
    )


def http_url(value: Any, argument: str) -> str:
    """``value`` if it is an absolute http(s) URL with a host and no credentials.

    >>> http_url("http://127.0.0.1:9/hook", "endpoint")
    'http://127.0.0.1:9/hook'
    """
    problem = BadInput(f"{argument}: expected an http(s) URL", argument=argument)
    if not isinstance(value, str):
        raise problem
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        raise problem from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise problem
    if parts.username is not None or parts.password is not None:
        raise BadInput(f"{argument}: an URL without user:password@", argument=argument)
    return value


@dataclass(frozen=True)
class Outbound:
    """The product operator's outbound settings."""

    registries: tuple[str, ...] = ()
    policy: AddressPolicy = AddressPolicy()
    registry_token: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Outbound:
        """Read :data:`REGISTRIES_ENV` and :data:`ALLOWED_NETWORKS_ENV`; raise ``ValueError``."""
        registries = tuple(
            http_url(item.strip(), REGISTRIES_ENV)
            for item in env.get(REGISTRIES_ENV, "").split(",")
            if item.strip()
        )
        try:
            policy = AddressPolicy.of(env.get(ALLOWED_NETWORKS_ENV, ""))
        except ValueError as exc:
            raise ValueError(f"{ALLOWED_NETWORKS_ENV}: {exc}") from None
        return cls(registries, policy, env.get(REGISTRY_TOKEN_ENV, "").strip())

    def registry_headers(self) -> dict[str, str]:
        """The headers of a relayed registration: the owner's credential, if configured."""
        if not self.registry_token:
            return {}
        return {"Authorization": f"Bearer {self.registry_token}"}

    def registry(self, given: Any) -> str:
        """The configured registry to post to: ``given`` if listed, the only one if omitted.

        Raise :class:`RegistryNotConfigured` otherwise (the message lists nothing: the
        operator knows the list).
        """
        if given is None and len(self.registries) == 1:
            return self.registries[0]
        if given is None and not self.registries:
            raise RegistryNotConfigured(
                f"registration is off: this product's operator lists no registry ({REGISTRIES_ENV})"
            )
        url = http_url(given, "registry")
        for registry in self.registries:
            if _canonical(registry) == _canonical(url):
                return registry
        raise RegistryNotConfigured(
            f"registry: not one of the registries this product's operator configured "
            f"({REGISTRIES_ENV})",
            argument="registry",
        )

    def check_endpoint(self, value: Any) -> str:
        """A subscriber endpoint: an http(s) URL, refused at once when it names an IP
        literal the policy does not allow (host names are checked on each delivery)."""
        url = http_url(value, "endpoint")
        host = urlsplit(url).hostname or ""
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return url
        if not self.policy.allows(ip):
            raise BadInput(
                "endpoint: not an address this product may call (public addresses only, "
                f"unless the operator allows more with {ALLOWED_NETWORKS_ENV})",
                argument="endpoint",
            )
        return url
