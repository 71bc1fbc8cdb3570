"""What every resolver can reach: the app's services and this request's loaders.

Services live as long as the app; :class:`RequestContext` (and so every DataLoader in it)
is made anew for each request, so cached answers never cross users.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gateway.identity import Principal, principal_of, request_id_of
from gateway.services import Services

if TYPE_CHECKING:
    from resolvers.loaders import Loaders


@dataclass
class RequestContext:
    services: Services
    loaders: Loaders
    request: Any = None
    response: Any = None
    # Staleness notes gathered while resolving; sent as `extensions.warnings`.
    warnings: list[dict[str, Any]] = field(default_factory=list)
    # A WebSocket's connection_init payload (Strawberry sets it; credentials may be in it).
    connection_params: dict[str, Any] | None = None

    @property
    def principal(self) -> Principal:
        """Who asks (anonymous when the request carries no credentials)."""
        return principal_of(getattr(self.request, "scope", None))

    @property
    def request_id(self) -> str | None:
        return request_id_of(getattr(self.request, "scope", None))

    def warn(self, message: str, *, code: str, product_id: str | None) -> None:
        note = {"code": code, "message": message, "productId": product_id}
        if note not in self.warnings:
            self.warnings.append(note)


def new_context(services: Services, request: Any = None, response: Any = None) -> RequestContext:
    """A context for one request, with fresh DataLoaders."""
    from resolvers.loaders import Loaders

    return RequestContext(services, Loaders(services), request, response)
