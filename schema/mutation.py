"""Mutations on the registry: register, refresh, unregister a product."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.product import Product


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Register a product by the URL of its discovery endpoint (again: update)."
    )
    async def register_product(self, info: Info, url: str) -> Product:
        registry = info.context.services.registry
        return Product.of(await registry.register(url, actor=info.context.principal))

    @strawberry.mutation(description="Read a product's summary again from its gateway.")
    async def refresh_product(self, info: Info, id: strawberry.ID) -> Product:
        registry = info.context.services.registry
        return Product.of(await registry.refresh(str(id), actor=info.context.principal))

    @strawberry.mutation(description="Remove a product from the registry; returns what it was.")
    async def unregister_product(self, info: Info, id: strawberry.ID) -> Product:
        registry = info.context.services.registry
        return Product.of(await registry.unregister(str(id), actor=info.context.principal))
