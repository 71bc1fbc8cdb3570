"""Tell subscribers when a product's certification changes.

Plain event subscribers of ``certification.changed`` hear every change of status;
``/certify/subscribe`` subscribers name a threshold (a share of certified policies, 0 to
1) and hear each time the share crosses it, either way. The last report is kept in the
kit's state, so a change that happens across a restart is still told.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from productkit.answers import CertificationReport
from productkit.errors import BadInput
from productkit.events import CERTIFICATION_CHANGED, EventBus, Subscription
from productkit.kitstate import KitState

LAST_REPORT_KEY = "certification"


def score(report: Mapping[str, Any]) -> float:
    """The share of certified policies in ``report``.

    >>> score({"policies": [{"certified": True}, {"certified": False}]})
    0.5
    """
    policies = report["policies"]
    return sum(1 for p in policies if p["certified"]) / len(policies) if policies else 1.0


class CertificationWatch:
    """Remembers the last report and sends ``certification.changed`` events."""

    def __init__(self, events: EventBus, store: KitState | None = None) -> None:
        self.events = events
        self._store = store
        kept = store.value(LAST_REPORT_KEY) if store is not None else None
        usable = (
            isinstance(kept, dict)
            and "status" in kept
            and isinstance(kept.get("policies"), list)
            and all(isinstance(p, dict) and "certified" in p for p in kept["policies"])
        )
        # A kept report that does not read as one is forgotten: the next one starts afresh.
        self.last: CertificationReport | None = cast(CertificationReport, kept) if usable else None

    def subscribe(self, endpoint: Any, threshold: Any) -> Subscription:
        """Notify ``endpoint`` when the share of certified policies crosses ``threshold``."""
        if threshold is None:
            threshold = 1.0
        if (
            isinstance(threshold, bool)
            or not isinstance(threshold, int | float)
            or not 0 <= threshold <= 1
        ):
            raise BadInput("threshold: expected a number from 0 to 1", argument="threshold")
        return self.events.subscribe(
            endpoint, [CERTIFICATION_CHANGED], extra={"threshold": float(threshold)}
        )

    def observe(self, report: CertificationReport) -> None:
        """Record ``report``; notify whoever its difference from the last one concerns."""
        before, self.last = self.last, report
        if self._store is not None and (
            before is None or before["status"] != report["status"] or score(before) != score(report)
        ):
            self._store.set_value(LAST_REPORT_KEY, dict(report))
        if before is None:
            return
        old, new = score(before), score(report)
        data = {"status": report["status"], "previousStatus": before["status"], "score": new}
        subscriptions = self.events.subscriptions()
        if before["status"] != report["status"]:
            plain = [s for s in subscriptions if "threshold" not in s.extra]
            self.events.publish(CERTIFICATION_CHANGED, data, only=plain)
        for sub in subscriptions:
            threshold = sub.extra.get("threshold")
            if isinstance(threshold, float) and (old >= threshold) != (new >= threshold):
                met = {"threshold": threshold, "met": new >= threshold}
                self.events.publish(CERTIFICATION_CHANGED, {**data, **met}, only=[sub])
