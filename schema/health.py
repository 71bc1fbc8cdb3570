"""Health judged against the contract (docs/health.md): a product's status with its
reasons, and the mesh's summary. Both answer from the monitor's last verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from gateway.errors import UpstreamTimeout, UpstreamUnavailable
from gateway.health import HealthMonitor, Judgement, Reason, summarize
from gateway.registry import RegisteredProduct
from resolvers import documents
from schema.pages import page_size

if TYPE_CHECKING:
    from schema.product import Product

STATUS_HELP = "UP, DEGRADED, DOWN, PAUSED or UNKNOWN (docs/health.md)."


@strawberry.type(description="Why a product is not UP, or what was noted while judging it.")
class HealthReason:
    code: str = strawberry.field(description="Stable code (docs/health.md lists them).")
    status: str = strawberry.field(description="The status this reason calls for.")
    message: str
    contract: str | None = strawberry.field(description="`id/version` of the contract.")
    rule: str | None = strawberry.field(description="The quality rule's name.")
    property: str | None = strawberry.field(
        description="The SLA property (latency, frequency...) or the element a rule is about."
    )
    observed: str | None = strawberry.field(description="What the gateway saw.")
    promised: str | None = strawberry.field(description="What the contract promises.")
    since: datetime | None = strawberry.field(description="Since when it holds.")

    @classmethod
    def of(cls, r: Reason) -> HealthReason:
        return cls(
            code=r.code, status=r.status, message=r.message, contract=r.contract, rule=r.rule,
            property=r.property, observed=r.observed, promised=r.promised, since=r.since,
        )  # fmt: skip


@strawberry.type(
    description="A product's health as the gateway judges it against its contracts, with "
    "the product's own answer beside it (`reportedStatus`, `checks`, `tables`)."
)
class ProductHealth:
    status: str | None = strawberry.field(description=STATUS_HELP)
    reasons: list[HealthReason]
    checked_at: str | None = strawberry.field(description="When the gateway judged it (ISO).")
    reported_status: str | None = strawberry.field(description="The status the product says.")
    state: str | None = strawberry.field(description="running, paused or stopped, as it says.")
    checks: JSON | None = strawberry.field(description="The product's own checks.")
    tables: JSON | None
    source: str = strawberry.field(description="The product's health document URL.")
    fetched_at: datetime
    stale: bool = strawberry.field(
        description="True when the product's own answer (checks, tables) is a cached copy "
        "or missing because it did not answer; the judged status never uses a copy."
    )


def monitor(info: Info) -> HealthMonitor:
    found: HealthMonitor = info.context.services.health
    return found


async def verdict(info: Info, product: RegisteredProduct) -> Judgement:
    """The monitor's last verdict on ``product``; judged now if it has none yet."""
    found = monitor(info).verdict(product.id)
    return found if found is not None else await monitor(info).check(product)


@strawberry.type(description="How many products are in one status.")
class StatusCount:
    status: str
    count: int


@strawberry.type(description="A product that is not UP, with why.")
class HealthOffender:
    product_id: strawberry.Private[str]
    product_key: str = strawberry.field(description="`domain.slug`.")
    status: str
    reasons: list[HealthReason]

    @strawberry.field(description="The product (null if unregistered since).")
    async def product(
        self, info: Info
    ) -> Annotated[Product, strawberry.lazy("schema.product")] | None:
        from schema.product import Product  # noqa: PLC0415 (the two modules refer to each other)

        found = await info.context.services.registry.get(self.product_id)
        return Product.of(found) if found is not None else None

    @classmethod
    def of(cls, j: Judgement) -> HealthOffender:
        return cls(
            product_id=j.product_id, product_key=j.product_key, status=j.status,
            reasons=[HealthReason.of(r) for r in j.reasons],
        )  # fmt: skip


@strawberry.type(description="The mesh's health, from the last background refresh.")
class MeshHealth:
    verdicts: strawberry.Private[list[Judgement]]
    counts: list[StatusCount] = strawberry.field(description="Every status, worst first.")
    checked_at: datetime | None = strawberry.field(
        description="The oldest verdict's time: every status is at least this fresh."
    )

    @strawberry.field(description="Products not UP, worst first (at most `first`).")
    def worst_offenders(self, info: Info, first: int = 10) -> list[HealthOffender]:
        ranked = summarize(self.verdicts).ranked
        return [HealthOffender.of(j) for j in ranked[: page_size(info, first)]]

    @strawberry.field(description="Products breaking an SLA promise of their contract "
                      "(at most `first`).")  # fmt: skip
    def out_of_sla(self, info: Info, first: int = 100) -> list[HealthOffender]:
        found = summarize(self.verdicts).out_of_sla
        return [HealthOffender.of(j) for j in found[: page_size(info, first)]]


def mesh_health(info: Info) -> MeshHealth:
    """The summary of the monitor's last verdicts (no product is called)."""
    verdicts = monitor(info).verdicts()
    summary = summarize(verdicts)
    return MeshHealth(
        verdicts=verdicts,
        counts=[StatusCount(status=s, count=n) for s, n in summary.counts],
        checked_at=summary.checked_at,
    )


async def product_health(info: Info, product: RegisteredProduct) -> ProductHealth:
    """The verdict plus the product's own answer (read through the request's loaders; a
    product that does not answer leaves ``checks`` and ``tables`` null, ``stale`` true)."""
    judged = await verdict(info, product)
    default = product.base_url.rstrip("/") + "/observe/health"
    data: Mapping[str, Any] = {}
    source, fetched_at, stale = default, judged.checked_at, True
    try:
        doc = await documents.linked(info.context, product, "health", "/observe/health")
    except (UpstreamTimeout, UpstreamUnavailable) as exc:
        # Found unreachable now: that is the verdict (DOWN, UNREACHABLE), not an older UP
        # kept from the last check; the monitor keeps it too. The field still answers.
        info.context.warn(exc.message, code=exc.code, product_id=product.id)
        judged = monitor(info).unreachable(product, f"{exc.code}: {exc.message}")
        fetched_at = judged.checked_at
    else:
        data = doc.data if isinstance(doc.data, Mapping) else {}
        source, fetched_at, stale = doc.source, doc.fetched_at, doc.stale
    return ProductHealth(
        status=judged.status,
        reasons=[HealthReason.of(r) for r in judged.reasons],
        checked_at=judged.checked_at.isoformat(),
        reported_status=judged.reported,
        state=judged.state,
        checks=data.get("checks"),
        tables=data.get("tables"),
        source=source,
        fetched_at=fetched_at,
        stale=stale,
    )
