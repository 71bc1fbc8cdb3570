"""The root Query: products, one product, contracts, search and domains."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from strawberry.types import Info

from gateway.errors import BadRequest
from gateway.registry.listing import decode_after, encode_after, filter_mark, listing_key
from resolvers import documents
from schema.connection import PageInfo, ProductConnection, ProductEdge
from schema.health import MeshHealth, mesh_health
from schema.lineage import LineageQuery
from schema.odcs_contract import Contract, contract_from_raw
from schema.product import Product
from schema.sql import SqlQuery
from schema.versions import VersionQuery
from schema.webhooks import WebhookQuery


@strawberry.input(description="Narrow the product list; every given field must match.")
class ProductFilter:
    domain: str | None = None
    tag: str | None = None
    text: str | None = strawberry.field(
        default=None, description="Substring of name, slug, description or tags."
    )


@strawberry.type
class Domain:
    name: str
    product_count: int


@strawberry.type
class SearchMatch:
    field: str = strawberry.field(description="Where it matched: name, tag, table, column...")
    text: str
    element: str | None = strawberry.field(description="The table or table.column matched.")


@strawberry.type
class SearchHit:
    score: float
    product: Product
    matches: list[SearchMatch]


def _page_size(info: Info, first: int) -> int:
    limit: int = info.context.services.settings.max_page_size
    if not 0 <= first <= limit:
        raise BadRequest(f"first: expected 0 to {limit}, got {first}", argument="first")
    return first


@strawberry.type
class Query(SqlQuery, VersionQuery, LineageQuery, WebhookQuery):
    @strawberry.field(description="Registered products, in domain and name order.")
    async def products(
        self,
        info: Info,
        filter: ProductFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> ProductConnection:
        limit = _page_size(info, first)
        where: dict[str, Any] = {}
        if filter is not None:
            where = {"domain": filter.domain, "tag": filter.tag, "text": filter.text}
        mark = filter_mark(where.get("domain"), where.get("tag"), where.get("text"))
        start = decode_after(after, mark) if after else None
        registry = info.context.services.registry
        # One more than the page tells whether a next page exists (keyset: no offset).
        total, items = await asyncio.gather(
            registry.count(**where), registry.list(**where, limit=limit + 1, after=start)
        )
        shown = items[:limit]
        edges = [
            ProductEdge(cursor=encode_after(listing_key(p), mark), node=Product.of(p))
            for p in shown
        ]
        return ProductConnection(
            total_count=total,
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(items) > limit,
                has_previous_page=start is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @strawberry.field(description="One product, by ODPS id or by `domain.slug`.")
    async def product(self, info: Info, id: strawberry.ID) -> Product | None:
        found = await info.context.loaders.products.load(str(id))
        return Product.of(found) if found else None

    @strawberry.field(description="A contract by id; the newest registered version if none given.")
    async def contract(
        self, info: Info, id: strawberry.ID, version: str | None = None
    ) -> Contract | None:
        pid, doc = await documents.contract_document(info.context, str(id), version)
        return contract_from_raw(
            doc.data, product_id=pid, source=doc.source, fetched_at=doc.fetched_at, stale=doc.stale
        )

    @strawberry.field(
        description="Products ranked by how well they match the text: each word adds the "
        "weight of each place it is found in (name, tag, domain, table, column, description, "
        "table and column descriptions, in that order of weight), from the registry's search "
        "index (the contracts as served at registration or the last refresh)."
    )
    async def search(self, info: Info, text: str, first: int = 20) -> list[SearchHit]:
        limit = _page_size(info, first)
        found = await info.context.services.registry.search(text, limit=limit)
        return [
            SearchHit(
                score=f.score,
                product=Product.of(f.product),
                matches=[
                    SearchMatch(field=m.field, text=m.text, element=m.element) for m in f.matches
                ],
            )
            for f in found
        ]

    @strawberry.field(description="The mesh's health from the last background refresh: "
                      "counts per status, worst offenders, products out of SLA.")  # fmt: skip
    def mesh_health(self, info: Info) -> MeshHealth:
        return mesh_health(info)

    @strawberry.field(description="Domains of the mesh with their product counts.")
    async def domains(self, info: Info) -> list[Domain]:
        rows = await info.context.services.registry.domains()
        return [Domain(name=name, product_count=count) for name, count in rows]
