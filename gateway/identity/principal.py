"""Who is asking: one :class:`Principal` per request, anonymous unless proven otherwise.

Roles are compared case-insensitively (kept lower-case). Two kinds of role mean something
to the gateway itself; every other role only means what a contract's ``roles`` say:

* ``admin``: every product, every change, every audit.
* ``owner:<domain>``: owner of every product of that domain (register, refresh,
  unregister, control, audit, data in clear).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

ADMIN_ROLE = "admin"
OWNER_PREFIX = "owner:"


def normalise_roles(roles: Iterable[str]) -> frozenset[str]:
    """Roles as the gateway compares them: stripped, lower-case, empty ones dropped.

    >>> sorted(normalise_roles([" Analyst", "owner:Precipitation", ""]))
    ['analyst', 'owner:precipitation']
    """
    return frozenset(r.strip().lower() for r in roles if isinstance(r, str) and r.strip())


@dataclass(frozen=True)
class Principal:
    """The caller of one request.

    ``kind`` is ``anonymous``, ``user`` (a verified JWT) or ``service`` (an API key);
    ``subject`` is the token's ``sub`` (or the key's name), ``anonymous`` otherwise.
    """

    subject: str
    kind: str = "user"
    roles: frozenset[str] = field(default_factory=frozenset)
    issuer: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", normalise_roles(self.roles))

    @property
    def anonymous(self) -> bool:
        return self.kind == "anonymous"

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    def owns_domain(self, domain: str) -> bool:
        """Admin, or holder of ``owner:<domain>``.

        >>> Principal("ana", roles=frozenset({"Owner:Flood"})).owns_domain("flood")
        True
        """
        return self.is_admin or f"{OWNER_PREFIX}{domain.strip().lower()}" in self.roles

    def has_any_role(self, roles: Iterable[str]) -> bool:
        """Whether the caller holds one of ``roles`` (case-insensitive)."""
        return bool(self.roles & normalise_roles(roles))


ANONYMOUS = Principal("anonymous", kind="anonymous")
"""The caller of a request that carries no credentials."""
