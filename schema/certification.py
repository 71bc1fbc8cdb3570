"""The graph's certification: the mesh's verdict per policy beside the product's own
claims, each marked with where it came from, with the history of evaluations."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from gateway.certification import Certification as Stored
from gateway.certification import PolicyResult
from resolvers import certification as resolve
from schema.pages import page_size


@strawberry.enum(description="Where a policy verdict comes from.")
class CertificationSource(Enum):
    MESH = "MESH"  # checked by the gateway on the documents it fetched
    PRODUCT = "PRODUCT"  # the product's own /certify/report: a claim, never counted


@strawberry.enum(description="The mesh's verdict on a product.")
class CertificationStatus(Enum):
    OK = "OK"
    NOT_COMPLIANT = "NOT_COMPLIANT"
    UNCHECKED = "UNCHECKED"


@strawberry.type(description="One policy's verdict with its evidence.")
class PolicyVerdict:
    policy: str
    description: str
    passed: bool
    evidence: str
    source: CertificationSource
    level: str | None = strawberry.field(description="The level a MESH policy counts towards.")

    @classmethod
    def of(cls, r: PolicyResult) -> PolicyVerdict:
        return cls(
            policy=r.policy, description=r.description, passed=r.passed, evidence=r.evidence,
            source=CertificationSource(r.source), level=r.level,
        )  # fmt: skip


@strawberry.type(description="One past evaluation.")
class CertificationRecord:
    status: CertificationStatus
    level: str | None
    checked_at: datetime
    cursor: str = strawberry.field(description="Pass as `after` to continue after this one.")


@strawberry.type(
    description="The product's certification: status and level from the mesh's policies "
    "only (docs/certification.md); the product's own claims are listed with source PRODUCT."
)
class Certification:
    product_id: strawberry.Private[str]
    status: CertificationStatus
    level: str | None
    product_status: str | None = strawberry.field(
        description="What the product's own /certify/report says of itself (not counted)."
    )
    report: list[PolicyVerdict]
    checked_at: datetime | None

    @classmethod
    def of(cls, product_id: str, c: Stored | None) -> Certification:
        if c is None:
            return cls(
                product_id=product_id, status=CertificationStatus.UNCHECKED, level=None,
                product_status=None, report=[], checked_at=None,
            )  # fmt: skip
        return cls(
            product_id=product_id, status=CertificationStatus(c.status), level=c.level,
            product_status=c.product_status, report=[PolicyVerdict.of(r) for r in c.report],
            checked_at=c.checked_at,
        )  # fmt: skip

    @strawberry.field(description="Past evaluations, newest first.")
    async def history(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> list[CertificationRecord]:
        from gateway.certification.store import encode_cursor

        size = page_size(info, first)
        if size == 0:
            return []
        page = await resolve.history(info, self.product_id, size, after)
        return [
            CertificationRecord(
                status=CertificationStatus(c.status),
                level=c.level,
                checked_at=c.checked_at,
                cursor=encode_cursor(c),
            )  # fmt: skip
            for c in page.items
        ]
