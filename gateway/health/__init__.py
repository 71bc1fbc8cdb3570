"""Health judged against the contract (docs/health.md): the judge, the background
monitor that keeps the last verdicts, and the hub that publishes each change."""

from __future__ import annotations

from gateway.health.hub import HealthChanged, HealthHub, Subscription
from gateway.health.judge import Evidence, judge
from gateway.health.model import STATUSES, Judgement, Reason
from gateway.health.monitor import HealthMonitor
from gateway.health.summary import MeshSummary, summarize

__all__ = [
    "STATUSES",
    "Evidence",
    "HealthChanged",
    "HealthHub",
    "HealthMonitor",
    "Judgement",
    "MeshSummary",
    "Reason",
    "Subscription",
    "judge",
    "summarize",
]
