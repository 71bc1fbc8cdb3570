"""Federated SQL in the graph: ``sql`` runs a query, ``explainSql`` shows the engine's plan."""

from __future__ import annotations

import enum
from typing import Annotated, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.federation.records import Answer, Page
from gateway.identity import Principal
from gateway.values import rows_to_json
from resolvers import versions
from resolvers.access import signed_in


@strawberry.enum(description="Where a SQL query runs.")
class SqlEngine(enum.Enum):
    DUCKDB = "duckdb"
    TRINO = "trino"


@strawberry.type
class SqlColumn:
    name: str
    type: str = strawberry.field(description="The engine's type name.")


@strawberry.type(description="One table a query read, with the columns and contract version.")
class SqlTableUse:
    product_id: str
    product_key: str = strawberry.field(description="`domain.slug` of the product.")
    table: str = strawberry.field(description="The logical name `domain.product.table`.")
    columns: list[str]
    contract_id: str
    contract_version: str


@strawberry.type(description="Where this page ends and whether another follows.")
class SqlPageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` for the next page (opaque; bound to this query)."
    )


@strawberry.type
class SqlResult:
    columns: list[SqlColumn]
    rows: JSON = strawberry.field(
        description="Rows as lists, in column order; decimals as strings of their exact "
        'digits, NaN and infinities as "NaN", "Infinity", "-Infinity" (docs/values.md).'
    )
    row_count: int
    truncated: bool = strawberry.field(description="True when more rows than maxRows matched.")
    elapsed_ms: float
    engine: SqlEngine
    products: list[SqlTableUse]
    executed_sql: str | None = strawberry.field(
        description="The SQL the engine ran, over physical names: shown to admins only."
    )
    page_info: SqlPageInfo
    warnings: list[str] = strawberry.field(
        description="Caveats about this answer, e.g. pages of a query without ORDER BY."
    )


UNORDERED = (
    "the query has no ORDER BY: each page re-runs it, so pages may repeat or miss rows; "
    "ORDER BY columns that identify every row"
)


def sql_result(answer: Answer, page: Page | None = None, *, admin: bool = False) -> SqlResult:
    result = answer.result
    # Only a result of several pages can suffer from an unstable order.
    paged = page is not None and (page.has_next or page.offset > 0)
    warnings = [UNORDERED] if paged and page is not None and not page.ordered else []
    return SqlResult(
        columns=[SqlColumn(name=n, type=str(t)) for n, t in result.columns],
        rows=cast(JSON, rows_to_json(result.rows)),
        row_count=len(result.rows),
        truncated=result.truncated,
        elapsed_ms=round(result.elapsed_ms, 3),
        engine=SqlEngine(answer.engine),
        products=[
            SqlTableUse(
                product_id=use.table.product_id,
                product_key=f"{use.table.domain}.{use.table.product}",
                table=use.table.logical,
                columns=list(use.columns),
                contract_id=use.table.contract_id,
                contract_version=use.table.contract_version,
            )
            for use in answer.plan.tables
        ],
        executed_sql=answer.plan.sql if admin else None,
        page_info=SqlPageInfo(
            has_next_page=page.has_next if page else result.truncated,
            end_cursor=page.end_cursor if page else None,
        ),
        warnings=warnings,
    )


@strawberry.type
class SqlQuery:
    @strawberry.field(description="Run one read-only SQL query over products' tables.")
    async def sql(
        self,
        info: Info,
        query: str,
        engine: SqlEngine | None = None,
        max_rows: int | None = None,
        after: Annotated[
            str | None,
            strawberry.argument(description="`pageInfo.endCursor` of the previous page."),
        ] = None,
    ) -> SqlResult:
        principal = signed_in(info, "sql")
        federation = info.context.services.federation
        page = await federation.page(
            query,
            engine=engine.value if engine else None,
            max_rows=max_rows,
            after=after,
            caller=principal.subject,
            principal=principal,
            request_id=info.context.request_id,
        )
        # End of support / life notes of the contract versions read.
        versions.warn_lifecycle(info.context, [u.table for u in page.answer.plan.tables])
        return sql_result(page.answer, page, admin=principal.is_admin)

    @strawberry.field(description="The engine's plan for a SQL query, without running it.")
    async def explain_sql(self, info: Info, query: str, engine: SqlEngine | None = None) -> str:
        principal: Principal = signed_in(info, "explainSql")
        federation = info.context.services.federation
        text: str = await federation.explain(
            query,
            engine=engine.value if engine else None,
            principal=principal,
            caller=principal.subject,
            request_id=info.context.request_id,
        )
        return text
