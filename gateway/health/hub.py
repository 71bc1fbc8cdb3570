"""The health monitor's changes: one :class:`HealthChanged` per change of a product's
status (not per refresh), published on a :class:`gateway.hub.Hub`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.hub import Hub, Subscription


@dataclass(frozen=True)
class HealthChanged:
    """A product's health went from ``before`` to ``after`` at ``at`` (when judged);
    ``observed_at`` is when the check that saw it began, the moment the gateway's
    observation dates from (the notify ledger orders observations by it; a check begun
    earlier saw an older state, whenever it ended). Without it, ``at``."""

    product_id: str
    product_key: str
    before: str
    after: str
    reasons: tuple[str, ...]  # the reason codes of the new state
    at: datetime
    observed_at: datetime | None = None


HealthHub = Hub[HealthChanged]
"""The hub the monitor publishes on."""

__all__ = ["HealthChanged", "HealthHub", "Subscription"]
