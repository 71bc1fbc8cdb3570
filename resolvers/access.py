"""Who may ask for what, at the level of GraphQL fields.

Data (SQL), usage, changes and audits need a signed-in caller; the planner then checks
each table against its contract's roles, and the registry checks ownership of a product.
Anonymous callers get discovery only (``MESHGATE_ANONYMOUS_ACCESS``).
"""

from __future__ import annotations

from typing import Any

from gateway.errors import Forbidden, Unauthenticated
from gateway.identity import Principal


def signed_in(info: Any, what: str) -> Principal:
    """The caller, who must not be anonymous to reach ``what``."""
    principal: Principal = info.context.principal
    if principal.anonymous:
        raise Unauthenticated(f"{what} needs a signed-in caller: send a bearer token or API key")
    return principal


def owner_of(info: Any, domain: str, *, what: str, product_id: str | None = None) -> Principal:
    """The caller, who must own ``domain`` (``owner:<domain>``) or be an admin."""
    principal = signed_in(info, what)
    if not principal.owns_domain(domain):
        raise Forbidden(
            f"{what} is for the owner of the product (role owner:{domain.lower()}) or an admin",
            product_id=product_id,
            role=f"owner:{domain.lower()}",
        )
    return principal
