"""Lineage and impact in the graph: `lineage(of, direction, depth)` and `impact(of)`.

Thin fields: they parse the arguments, hand the registry's products and the request's
facts to ``gateway.lineage`` and map what it found to types a client can draw directly
(nodes with stable ids, edges between those ids). See docs/lineage.md.
"""

from __future__ import annotations

import asyncio
import enum

import strawberry
from strawberry.types import Info

from gateway import lineage as graph
from gateway.errors import BadRequest, ProductNotFound
from gateway.lineage.model import kind_of
from gateway.registry import RegisteredProduct
from resolvers.context import RequestContext
from resolvers.lineage import RequestFacts, limits, people, reader_visible
from schema.product import Product

ID_FORMS = "product:<id>, table:<domain.product.table>, column:<domain.product.table.column>, "
ID_FORMS += "source:<name>, consumer:<subject>, or a product's id or domain.slug"


@strawberry.enum(description="Which way to walk from the node: where data comes from, goes.")
class LineageDirection(enum.Enum):
    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"
    BOTH = "both"


@strawberry.enum(description="What a lineage node is.")
class LineageNodeKind(enum.Enum):
    PRODUCT = "product"
    TABLE = "table"
    COLUMN = "column"
    SOURCE = "source"
    CONSUMER = "consumer"


@strawberry.enum(description="What an edge says about how data flows from `from` to `to`.")
class LineageEdgeKind(enum.Enum):
    INPUT = "input"
    PART_OF = "part_of"
    DERIVES = "derives"
    READ_BY = "read_by"


@strawberry.enum(
    description="Who asserts an edge: DECLARED by the downstream product's documents "
    "(ODPS input ports, ODCS transform fields), or OBSERVED by the gateway in the queries "
    "it answered."
)
class LineageOrigin(enum.Enum):
    DECLARED = "declared"
    OBSERVED = "observed"


@strawberry.type(description="A product, table, column, source or consumer.")
class LineageNode:
    id: strawberry.ID = strawberry.field(
        description="Stable: `product:<id>`, `table:<domain.product.table>`, "
        "`column:<domain.product.table.column>`, `source:<name>`, `consumer:<subject>`."
    )
    kind: LineageNodeKind
    name: str
    product: strawberry.ID | None = strawberry.field(
        description="The id of the product the node belongs to (null for sources and consumers)."
    )


@strawberry.type(description="Data flows from `from` to `to`.")
class LineageEdge:
    source: strawberry.ID = strawberry.field(name="from")
    target: strawberry.ID = strawberry.field(name="to")
    kind: LineageEdgeKind
    origin: LineageOrigin
    via: str | None = strawberry.field(
        description="The contract (`id@version`) of an input, the transform logic of a "
        "derived column, the table or query count of a read."
    )


@strawberry.type(description="The nodes and edges within reach, ready to draw.")
class Lineage:
    nodes: list[LineageNode] = strawberry.field(description="The start first, nearest first.")
    edges: list[LineageEdge]
    truncated: bool = strawberry.field(
        description="The walk stopped at MESHGATE_LINEAGE_MAX_NODES nodes."
    )


@strawberry.type(description="Someone to tell about a product: a team member or a channel.")
class Subscriber:
    kind: str = strawberry.field(
        description="`team`, `support`, or `webhook` (a subject with a webhook subscription "
        "to the product's health; named by subject, never by URL)."
    )
    name: str
    username: str | None
    role: str | None = strawberry.field(description="A member's role, a channel's scope.")
    url: str | None
    tool: str | None


@strawberry.type(description="A product hit by the failure, and how it is reached.")
class ImpactedProduct:
    summary: strawberry.Private[RegisteredProduct]
    path: list[strawberry.ID] = strawberry.field(
        description="Node ids from the start of the question to this product."
    )

    @strawberry.field
    def product(self) -> Product:
        return Product.of(self.summary)

    @strawberry.field(description="This product's people to tell.")
    async def subscribers(self, info: Info) -> list[Subscriber]:
        found = await people(info.context).of(self.summary)
        return [_subscriber(s) for s in found]


@strawberry.type(description="Everything downstream of a node: the products and their people.")
class Impact:
    products: list[ImpactedProduct] = strawberry.field(
        description="The start's product first (when it is one), then nearest first."
    )
    truncated: bool

    @strawberry.field(
        description="The people to tell: every subscriber of every impacted product, once."
    )
    async def subscribers(self, info: Info) -> list[Subscriber]:
        everyone = people(info.context)
        found = await asyncio.gather(*(everyone.of(p.summary) for p in self.products))
        unique = dict.fromkeys(s for group in found for s in group)
        return [_subscriber(s) for s in unique]


@strawberry.type
class LineageQuery:
    @strawberry.field(
        description="Where a node's data comes from (UPSTREAM), where it goes (DOWNSTREAM) "
        "or both, up to `depth` hops (default and most: MESHGATE_LINEAGE_DEFAULT_DEPTH, "
        "MESHGATE_LINEAGE_MAX_DEPTH). Cycles end: each node is walked once."
    )
    async def lineage(
        self,
        info: Info,
        of: strawberry.ID,
        direction: LineageDirection = LineageDirection.BOTH,
        depth: int | None = None,
    ) -> Lineage:
        ctx: RequestContext = info.context
        bounds = limits(ctx, depth)
        start = await _start(ctx, str(of))
        products = await ctx.loaders.all_products()
        found = await graph.lineage(
            products,
            RequestFacts(ctx),
            start,
            graph.Direction(direction.value),
            bounds,
            lambda caller, product: reader_visible(ctx, caller, product),
        )
        return Lineage(
            nodes=[
                LineageNode(
                    id=strawberry.ID(n.id),
                    kind=LineageNodeKind(n.kind.value),
                    name=n.name,
                    product=strawberry.ID(n.product) if n.product else None,
                )
                for n in found.nodes
            ],
            edges=[
                LineageEdge(
                    source=strawberry.ID(e.source),
                    target=strawberry.ID(e.target),
                    kind=LineageEdgeKind(e.kind.value),
                    origin=LineageOrigin(e.origin.value),
                    via=e.via,
                )
                for e in found.edges
            ],
            truncated=found.truncated,
        )

    @strawberry.field(
        description="Every product downstream of a product, table, column or source (up to "
        "MESHGATE_LINEAGE_MAX_DEPTH hops), with its path, and the people to tell."
    )
    async def impact(self, info: Info, of: strawberry.ID) -> Impact:
        ctx: RequestContext = info.context
        bounds = limits(ctx, ctx.services.settings.lineage_max_depth)
        start = await _start(ctx, str(of))
        products = await ctx.loaders.all_products()
        found = await graph.impact(products, RequestFacts(ctx), start, bounds)
        by_id = {p.id: p for p in products}
        return Impact(
            products=[
                ImpactedProduct(summary=by_id[i.product], path=[strawberry.ID(n) for n in i.path])
                for i in found.products
                if i.product in by_id
            ],
            truncated=found.truncated,
        )


async def _start(ctx: RequestContext, of: str) -> str:
    """The node id to start from: ``of`` itself, or the product it names by id or key."""
    if len(of) > 1024:
        raise BadRequest("of: expected a node id of at most 1024 characters", argument="of")
    kind = kind_of(of)
    if kind is None or kind is graph.NodeKind.PRODUCT:
        name = of.partition(":")[2] if kind is not None else of
        product = await ctx.loaders.products.load(name)
        if product is None:
            if kind is None:
                raise BadRequest(f"of: expected {ID_FORMS}", argument="of")
            raise ProductNotFound(f"no product {name!r} is registered", product_id=name)
        return graph.product_id(product.id)
    return of


def _subscriber(s: graph.Subscriber) -> Subscriber:
    return Subscriber(
        kind=s.kind, name=s.name, username=s.username, role=s.role, url=s.url, tool=s.tool
    )
