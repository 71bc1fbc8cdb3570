"""What the lineage and impact fields need from the request: facts, visibility, people.

The gateway's ``lineage`` package walks a graph; this module hands it the request's
view of the mesh: contracts fetched through the request's loaders (once each, with the
staleness warnings every field gives), the usage store's readers for callers allowed to
see them, and the people of each product read from its live ODPS descriptor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gateway.errors import GatewayError
from gateway.lineage import (
    SUPPORT,
    TEAM,
    AllSubscribers,
    Limits,
    Subscriber,
    Subscribers,
    check_depth,
)
from gateway.registry import RegisteredProduct
from gateway.usage import Reader
from resolvers import documents
from resolvers.odps import live_descriptor

if TYPE_CHECKING:
    from resolvers.context import RequestContext

MAX_READERS = 1000
"""Reader rows (caller, table, column) read per product for one answer."""
MAX_PEOPLE = 100
"""People and channels listed per product."""


class RequestFacts:
    """:class:`gateway.lineage.Facts` for one request."""

    def __init__(self, ctx: RequestContext) -> None:
        self._ctx = ctx

    async def contracts(self, product: RegisteredProduct) -> Sequence[Mapping[str, Any]]:
        found = await asyncio.gather(
            *(self._one(product, link.href, link.id) for link in product.contracts)
        )
        return [doc for doc in found if doc is not None]

    async def _one(
        self, product: RegisteredProduct, href: str, contract_id: str
    ) -> Mapping[str, Any] | None:
        try:
            doc = await documents.fetch(self._ctx, href, product, what=f"contract {contract_id}")
        except GatewayError as exc:
            # The product's tables are left out of this answer; say so rather than fail it.
            self._ctx.warn(exc.message, code=exc.code, product_id=product.id)
            return None
        return doc.data if isinstance(doc.data, Mapping) else None

    async def readers(self, product: RegisteredProduct) -> Sequence[Reader]:
        if self._ctx.principal.anonymous:
            return []
        found: list[Reader] = await self._ctx.services.usage.readers(product.id, limit=MAX_READERS)
        return found


def reader_visible(ctx: RequestContext, caller: str, product: RegisteredProduct) -> bool:
    """Whether the caller of this request may see that ``caller`` read ``product``: who
    read a product is the owner's (and admins') to see, and each caller sees themself."""
    principal = ctx.principal
    if principal.anonymous:
        return False
    return caller == principal.subject or principal.owns_domain(product.domain)


def limits(ctx: RequestContext, depth: int | None) -> Limits:
    settings = ctx.services.settings
    walk = check_depth(
        depth, default=settings.lineage_default_depth, most=settings.lineage_max_depth
    )
    return Limits(depth=walk, max_nodes=settings.lineage_max_nodes)


class DescriptorPeople:
    """:class:`gateway.lineage.Subscribers` from each product's live ODPS descriptor: the
    current team members (owner first) and the support channels; the registered owner
    when the descriptor names no team. A product that does not answer names nobody, and
    the answer says so in a warning."""

    def __init__(self, ctx: RequestContext) -> None:
        self._ctx = ctx

    async def of(self, product: RegisteredProduct) -> Sequence[Subscriber]:
        try:
            descriptor = await live_descriptor(self._ctx, product)
        except GatewayError as exc:
            self._ctx.warn(exc.message, code=exc.code, product_id=product.id)
            return _registered_owner(product)
        members = descriptor.team.members if descriptor.team is not None else ()
        current = [m for m in members if m.date_out is None]
        current.sort(key=lambda m: (m.role or "").lower() != "owner")
        people = [
            Subscriber(TEAM, m.name or m.username, username=m.username, role=m.role)
            for m in current
        ]
        if not people:
            people = list(_registered_owner(product))
        people += [
            Subscriber(SUPPORT, s.channel, role=s.scope, url=s.url, tool=s.tool)
            for s in descriptor.support
        ]
        return people[:MAX_PEOPLE]


def people(ctx: RequestContext) -> Subscribers:
    """Everyone to tell about a product: its descriptor's people, then the subjects with a
    webhook subscription to its health (never their URLs)."""
    webhooks = ctx.services.webhooks
    if webhooks is None:
        return DescriptorPeople(ctx)
    return AllSubscribers(DescriptorPeople(ctx), VisibleSubscribers(ctx, webhooks.subscribers))


class VisibleSubscribers:
    """Who subscribed to a product is its owner's (and admins') to see; any other caller
    sees only themself among a product's webhook subscribers, anonymous callers no one."""

    def __init__(self, ctx: RequestContext, source: Subscribers) -> None:
        self._ctx = ctx
        self._source = source

    async def of(self, product: RegisteredProduct) -> Sequence[Subscriber]:
        principal = self._ctx.principal
        if principal.anonymous:
            return []
        found = await self._source.of(product)
        if principal.owns_domain(product.domain):
            return found
        return [s for s in found if s.name == principal.subject]


def _registered_owner(product: RegisteredProduct) -> Sequence[Subscriber]:
    if product.owner_name is None and product.owner_email is None:
        return []
    name = product.owner_name or product.owner_email or ""
    return [Subscriber(TEAM, name, username=product.owner_email, role="owner")]
