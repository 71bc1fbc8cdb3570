"""What the mesh tells its subscribers: one :class:`MeshEvent` per change worth hearing.

The same event goes to WebSocket subscribers (``productEvents``), into webhook deliveries
and across gateway processes (as JSON, :meth:`MeshEvent.to_json`), so it is plain data:
a kind, the product, when, one line for people, and the kind's details.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

HEALTH = "health"
"""A product's health status changed (``data``: before, after, reasons)."""
CERTIFICATION = "certification"
"""A product's certification status or level changed (``data``: before, after)."""
CONTRACT = "contract"
"""A product published contract versions not seen before (``data``: added, flags)."""
ISSUE = "issue"
"""A consumer reported an issue with a product (``data``: severity, text, by)."""
RATING = "rating"
"""A consumer rated a product (``data``: stars, comment, by)."""

KINDS = (HEALTH, CERTIFICATION, CONTRACT, ISSUE, RATING)

#: Health states from best to worst; a change to a worse one is a degradation.
_HEALTH_ORDER = {"UP": 0, "PAUSED": 1, "UNKNOWN": 1, "DEGRADED": 2, "DOWN": 3}


@dataclass(frozen=True)
class MeshEvent:
    """One change of one product. ``id`` is unique per event (a delivery's idempotency
    key for webhook receivers)."""

    kind: str
    product_id: str
    product_key: str
    at: datetime
    summary: str
    data: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}; expected one of {KINDS}")

    @property
    def degrades(self) -> bool:
        """Whether this is a health change to a worse state: its downstream must hear too.

        >>> from datetime import UTC
        >>> at = datetime(2026, 1, 1, tzinfo=UTC)
        >>> MeshEvent(HEALTH, "p", "d.p", at, "", {"before": "UP", "after": "DOWN"}).degrades
        True
        >>> MeshEvent(HEALTH, "p", "d.p", at, "", {"before": "DOWN", "after": "UP"}).degrades
        False
        """
        if self.kind != HEALTH:
            return False
        before = _HEALTH_ORDER.get(str(self.data.get("before")), 1)
        after = _HEALTH_ORDER.get(str(self.data.get("after")), 1)
        return after > before

    def to_json(self) -> dict[str, Any]:
        """The event as JSON (the webhook body, the message between processes)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "productId": self.product_id,
            "productKey": self.product_key,
            "at": self.at.isoformat(),
            "summary": self.summary,
            "data": dict(self.data),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> MeshEvent:
        """The event :meth:`to_json` wrote. Raises ``ValueError``/``KeyError`` otherwise."""
        return cls(
            kind=str(value["kind"]),
            product_id=str(value["productId"]),
            product_key=str(value["productKey"]),
            at=datetime.fromisoformat(str(value["at"])),
            summary=str(value["summary"]),
            data=dict(value.get("data") or {}),
            id=str(value["id"]),
        )
