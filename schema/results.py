"""A product's observability results in the graph (OORS documents, paged)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.registry import RegisteredProduct
from resolvers.results import product_results
from schema.odcs_common import text
from schema.odps_product import page
from schema.pages import PageInfo


@strawberry.type(description="One observability result (Bitol OORS) the product emitted.")
class ObservabilityResult:
    id: str | None
    timestamp: str | None
    criteria: str | None = strawberry.field(description="dq (quality) or sla.")
    property: str | None = strawberry.field(description="The rule or SLA property measured.")
    value: JSON | None
    unit: str | None
    element: str | None = strawberry.field(description="`table` or `table.column`.")
    passed: bool | None
    contract_id: str | None
    contract_version: str | None
    dimension: str | None
    severity: str | None
    error: str | None

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> ObservabilityResult:
        value = raw.get("value")
        passed = raw.get("passed")
        return cls(
            id=text(raw.get("id")), timestamp=text(raw.get("timestamp")),
            criteria=text(raw.get("criteria")), property=text(raw.get("property")),
            value=cast(JSON, value) if isinstance(value, int | float | str | bool) else None,
            unit=text(raw.get("unit")), element=text(raw.get("element")),
            passed=passed if isinstance(passed, bool) else None,
            contract_id=text(raw.get("contractId")),
            contract_version=text(raw.get("contractVersion")),
            dimension=text(raw.get("dimension")), severity=text(raw.get("severity")),
            error=text(raw.get("error")),
        )  # fmt: skip


@strawberry.type(description="A page of a product's results, newest first.")
class ObservabilityResultConnection:
    total_count: int
    nodes: list[ObservabilityResult]
    page_info: PageInfo


RESULTS_HELP = (
    "The product's observability results, newest first, read from the product (the source "
    "of truth): those measured at or after `since`, of the rule or SLA property `rule`; a "
    "page of at most `first` (up to max_page_size)."
)


async def results_page(
    info: Info,
    product: RegisteredProduct,
    since: datetime | None,
    rule: str | None,
    first: int,
    after: str | None,
) -> ObservabilityResultConnection:
    found = await product_results(info.context, product, since, rule)
    cut, page_info = page(info, len(found), first, after)
    return ObservabilityResultConnection(
        total_count=len(found),
        nodes=[ObservabilityResult.of(r) for r in found[cut]],
        page_info=page_info,
    )
