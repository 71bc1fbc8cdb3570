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
        return Product.of(await info.context.services.registry.register(url))

    @strawberry.mutation(description="Read a product's summary again from its gateway.")
    async def refresh_product(self, info: Info, id: strawberry.ID) -> Product:
        return Product.of(await info.context.services.registry.refresh(str(id)))

    @strawberry.mutation(description="Remove a product from the registry; returns what it was.")
    async def unregister_product(self, info: Info, id: strawberry.ID) -> Product:
        return Product.of(await info.context.services.registry.unregister(str(id)))
