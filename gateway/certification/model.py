"""One certification of one product: the verdict per policy, where each came from, the
status and level the mesh gives, and when. Kept with history in the gateway's database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

OK: Final = "OK"
NOT_COMPLIANT: Final = "NOT_COMPLIANT"
MESH: Final = "MESH"
PRODUCT: Final = "PRODUCT"

EVIDENCE_LIMIT = 1000
"""Characters of one policy's evidence kept: a hostile product cannot grow the store."""


@dataclass(frozen=True)
class PolicyResult:
    """One policy's verdict. ``source`` MESH: checked by the gateway on fetched documents;
    PRODUCT: what the product's own ``/certify/report`` claims (shown, never counted)."""

    policy: str
    description: str
    passed: bool
    evidence: str
    source: str
    level: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "policy": self.policy, "description": self.description, "passed": self.passed,
            "evidence": self.evidence, "source": self.source, "level": self.level,
        }  # fmt: skip

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> PolicyResult:
        return cls(
            str(raw["policy"]), str(raw["description"]), bool(raw["passed"]),
            str(raw["evidence"]), str(raw["source"]), raw.get("level"),
        )  # fmt: skip


@dataclass(frozen=True)
class Certification:
    """The mesh's verdict on a product at ``checked_at``. ``status`` and ``level`` follow
    the MESH results only; ``product_status`` is what the product said of itself."""

    product_id: str
    checked_at: datetime
    status: str
    level: str | None
    report: tuple[PolicyResult, ...]
    product_status: str | None = None
    id: int | None = None


def clip(text: str) -> str:
    """
    >>> len(clip("x" * 5000)) == EVIDENCE_LIMIT
    True
    """
    return text[:EVIDENCE_LIMIT]
