"""``productEvents``: the live events of chosen products for one identified caller.

The subscription is judged once, when it starts: the products must exist (by id or
``domain.slug``), feedback (issues, ratings) is for the owners of a product's domain and
admins only, and the caller and the connection must have a seat left
(``MESHGATE_WS_MAX_SUBSCRIPTIONS_PER_*``). Then it reads the bus through a bounded queue:
a client that reads slowly loses the oldest events, never slows the gateway, and the next
event it gets says how many it lost (``dropped``).

With ``upstream``, a degradation of any product upstream of a chosen one is told too
(``upstreamOf`` names the chosen products it reaches): whoever depends on a product must
hear when its sources break. Which products an event reaches is asked of the lineage
graph once per event, whichever subscriptions need it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gateway import lineage
from gateway.errors import BadRequest, Forbidden, ProductNotFound
from gateway.identity import Principal
from gateway.notify import HEALTH, ISSUE, KINDS, RATING, MeshEvent
from gateway.notify.live import caller_key
from gateway.registry import RegisteredProduct
from resolvers.access import signed_in

if TYPE_CHECKING:
    from resolvers.context import RequestContext

log = logging.getLogger(__name__)

FEEDBACK = frozenset({ISSUE, RATING})
MAX_ID_CHARS = 1024


@dataclass(frozen=True)
class Delivered:
    """One event as this subscription tells it."""

    event: MeshEvent
    upstream_of: tuple[str, ...]  # ids of the chosen products it reaches (upstream events)
    dropped: int  # events this subscription lost, since the last one told, reading slowly


@dataclass(frozen=True)
class Chosen:
    """What one subscription listens to, judged when it starts."""

    products: Mapping[str, RegisteredProduct]  # by id
    kinds: frozenset[str]  # the kinds asked for
    feedback: frozenset[str]  # ids of chosen products whose feedback the caller may hear
    upstream: bool

    def direct(self, event: MeshEvent) -> bool:
        """An event of a chosen product this caller may hear."""
        if event.product_id not in self.products or event.kind not in self.kinds:
            return False
        return event.kind not in FEEDBACK or event.product_id in self.feedback

    def maybe(self, event: MeshEvent) -> bool:
        """The quick test of the queue: direct events, and degradations elsewhere that
        may be upstream of a chosen product (the lineage tells, later)."""
        if self.direct(event):
            return True
        return self.upstream and HEALTH in self.kinds and event.degrades


async def choose(
    info: Any, products: Sequence[str], kinds: Sequence[str] | None, upstream: bool
) -> Chosen:
    """Judge a new subscription; raise a :class:`gateway.errors.GatewayError` to refuse."""
    ctx: RequestContext = info.context
    principal = signed_in(info, "productEvents")
    most = ctx.services.settings.ws_max_products
    if not 1 <= len(products) <= most:
        raise BadRequest(
            f"products: expected 1 to {most} products, got {len(products)}",
            argument="products", limit=most,
        )  # fmt: skip
    found: dict[str, RegisteredProduct] = {}
    for given in dict.fromkeys(products):
        if len(given) > MAX_ID_CHARS:
            raise BadRequest(f"products: an id is at most {MAX_ID_CHARS} characters")
        product = await ctx.services.registry.get(given)
        if product is None:
            raise ProductNotFound(f"no product {given!r} in the registry", argument="products")
        found[product.id] = product
    asked = frozenset(kinds) if kinds is not None else frozenset(KINDS)
    owned = frozenset(pid for pid, p in found.items() if principal.owns_domain(p.domain))
    if kinds is not None and asked & FEEDBACK:
        _check_feedback(principal, found, owned)
    ctx.services.notifier.live.seats.check(seat_limits(ctx, principal))
    return Chosen(found, asked, owned, upstream)


def _check_feedback(
    principal: Principal, products: Mapping[str, RegisteredProduct], owned: frozenset[str]
) -> None:
    """Feedback asked for by name: every chosen product must be the caller's to hear."""
    for pid, product in products.items():
        if pid not in owned:
            domain = product.domain.lower()
            raise Forbidden(
                "issues and ratings of a product are for the owner of its domain "
                f"(role owner:{domain}) or an admin",
                product_id=pid, role=f"owner:{domain}",
            )  # fmt: skip


def seat_limits(ctx: RequestContext, principal: Principal) -> dict[str, tuple[int, str]]:
    """The seats a subscription takes: one of its caller's, one of its connection's."""
    settings = ctx.services.settings
    caller = f"caller:{caller_key(principal)}"
    connection = f"connection:{ctx.request_id or id(ctx)}"
    return {
        caller: (settings.ws_max_subscriptions_per_caller, "this caller"),
        connection: (settings.ws_max_subscriptions_per_connection, "this connection"),
    }


async def events(info: Any, chosen: Chosen) -> AsyncIterator[Delivered]:
    """The subscription's events until the client completes it or goes away."""
    ctx: RequestContext = info.context
    notifier = ctx.services.notifier
    principal = signed_in(info, "productEvents")
    async with (
        notifier.live.seats.hold(seat_limits(ctx, principal)),
        notifier.bus.subscribe(chosen.maybe) as sub,
    ):
        told_dropped = 0
        while True:
            event = await sub.get()
            if chosen.direct(event):
                reaches: tuple[str, ...] = ()
            else:
                reaches = await _reaches(ctx, chosen, event)
                if not reaches:
                    continue
            dropped, told_dropped = sub.dropped - told_dropped, sub.dropped
            yield Delivered(event, reaches, dropped)


async def _reaches(ctx: RequestContext, chosen: Chosen, event: MeshEvent) -> tuple[str, ...]:
    """The chosen products downstream of the degraded product of ``event``."""

    async def compute() -> frozenset[str]:
        return await downstream_of(ctx, event.product_id)

    try:
        below = await ctx.services.notifier.live.downstream.of(event.id, compute)
    except Exception:  # a lineage failure loses this event for upstream subscribers only
        log.exception("the downstream of event %s could not be computed", event.id)
        return ()
    return tuple(pid for pid in chosen.products if pid in below and pid != event.product_id)


async def downstream_of(ctx: RequestContext, product_id: str) -> frozenset[str]:
    """The ids of every product downstream of ``product_id`` (MESHGATE_LINEAGE_MAX_DEPTH)."""
    settings = ctx.services.settings
    products = (await ctx.services.registry.snapshot()).products
    bounds = lineage.Limits(depth=settings.lineage_max_depth, max_nodes=settings.lineage_max_nodes)
    found = await lineage.impact(
        products, lineage.RegistryOnly(), lineage.product_id(product_id), bounds
    )
    return frozenset(i.product for i in found.products)
