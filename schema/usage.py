"""A product's usage in the graph: figures computed by the usage store from recorded queries."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from gateway.registry import RegisteredProduct
from gateway.usage import MAX_RECENT, UsageStore


@strawberry.type(description="A column and how many answered queries read it.")
class UsageColumn:
    name: str
    queries: int


@strawberry.type(description="A table of the product and how many answered queries read it.")
class UsageTable:
    table: str = strawberry.field(description="The logical name `domain.product.table`.")
    queries: int
    columns: list[UsageColumn] = strawberry.field(description="Most read first.")


@strawberry.type(
    description="One SQL query that read the product. Who asked and what they asked are "
    "shown to the product's owner and admins only (null for anyone else)."
)
class UsageQuery:
    at: datetime
    caller: str | None = strawberry.field(
        description="Who asked: the signed-in subject (owner and admins only; null for others)."
    )
    sql: str | None = strawberry.field(
        description="The statement, first 4,096 characters (owner and admins only)."
    )
    engine: str = strawberry.field(description="duckdb or trino.")
    outcome: str = strawberry.field(description="`ok`, or the error code the query ended with.")
    rows: int = strawberry.field(description="Rows returned.")
    elapsed_ms: float


@strawberry.type(
    description="How the product's tables are read through federated SQL, within a window. "
    "Counts are of answered queries; refused statements read nothing and are not counted."
)
class ProductUsage:
    product_id: strawberry.Private[str]
    domain: strawberry.Private[str]
    since: datetime | None = strawberry.field(
        description="Start of the window (null: since the first recorded query)."
    )
    queries: int = strawberry.field(description="Answered queries that read the product.")
    rows_served: int = strawberry.field(
        description="Rows those queries returned (a join's rows count for each product read)."
    )
    last_queried_at: datetime | None
    callers: int = strawberry.field(description="Distinct callers.")

    @strawberry.field(description="Per table, most read first, with its columns.")
    async def by_table(self, info: Info) -> list[UsageTable]:
        tables = await _store(info).tables(self.product_id, since=self.since)
        return [
            UsageTable(
                table=t.table,
                queries=t.queries,
                columns=[UsageColumn(name=c.name, queries=c.queries) for c in t.columns],
            )
            for t in tables
        ]

    @strawberry.field(
        description=f"The latest queries that read the product, newest first, failures "
        f"included (first: 1 to {MAX_RECENT})."
    )
    async def recent(self, info: Info, first: int = 10) -> list[UsageQuery]:
        found = await _store(info).recent(self.product_id, since=self.since, first=first)
        # Another caller's address and SQL are theirs: the owner may see them, others not.
        clear = info.context.principal.owns_domain(self.domain)
        return [
            UsageQuery(
                at=q.at,
                caller=q.caller if clear else None,
                sql=q.sql if clear else None,
                engine=q.engine,
                outcome=q.outcome,
                rows=q.rows,
                elapsed_ms=round(q.elapsed_ms, 3),
            )
            for q in found
        ]


async def product_usage(
    info: Info, product: RegisteredProduct, since: datetime | None
) -> ProductUsage:
    """The totals of ``product`` in the window; tables and recent queries on demand."""
    totals = await _store(info).totals(product.id, since=since)
    return ProductUsage(
        product_id=product.id,
        domain=product.domain,
        since=since,
        queries=totals.queries,
        rows_served=totals.rows_served,
        last_queried_at=totals.last_queried_at,
        callers=totals.callers,
    )


def _store(info: Info) -> UsageStore:
    store: UsageStore = info.context.services.usage
    return store
