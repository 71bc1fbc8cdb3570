"""Mutations on the registry: register, refresh, unregister a product."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers import certification
from resolvers.access import signed_in
from schema.certification import Certification
from schema.feedback import FeedbackMutation
from schema.product import Product


@strawberry.type
class Mutation(FeedbackMutation):
    @strawberry.mutation(
        description="Register a product by the URL of its discovery endpoint (again: update)."
    )
    async def register_product(self, info: Info, url: str) -> Product:
        actor = signed_in(info, "registerProduct")
        registry = info.context.services.registry
        request_id = info.context.request_id
        return Product.of(await registry.register(url, actor=actor, request_id=request_id))

    @strawberry.mutation(description="Read a product's summary again from its gateway.")
    async def refresh_product(self, info: Info, id: strawberry.ID) -> Product:
        actor = signed_in(info, "refreshProduct")
        registry = info.context.services.registry
        request_id = info.context.request_id
        return Product.of(await registry.refresh(str(id), actor=actor, request_id=request_id))

    @strawberry.mutation(description="Remove a product from the registry; returns what it was.")
    async def unregister_product(self, info: Info, id: strawberry.ID) -> Product:
        actor = signed_in(info, "unregisterProduct")
        registry = info.context.services.registry
        request_id = info.context.request_id
        return Product.of(await registry.unregister(str(id), actor=actor, request_id=request_id))

    @strawberry.mutation(
        description="Certify a product now against the mesh's policies (its owner or an admin)."
    )
    async def certify_product(self, info: Info, product: strawberry.ID) -> Certification:
        found, done = await certification.certify_now(info, str(product))
        return Certification.of(found.id, done)
