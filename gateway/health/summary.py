"""The mesh's health in one view: how many products per status, who is worst, who is out
of SLA, from the monitor's last verdicts (no product is called)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gateway.health.model import STATUSES, Judgement


@dataclass(frozen=True)
class MeshSummary:
    counts: tuple[tuple[str, int], ...]  # every status, worst first, zeros included
    ranked: tuple[Judgement, ...]  # every product not UP, worst first
    out_of_sla: tuple[Judgement, ...]
    checked_at: datetime | None  # the oldest verdict's time: everything is at least this fresh


def summarize(verdicts: Sequence[Judgement]) -> MeshSummary:
    """Counts, ranking and SLA breaches of ``verdicts``.

    Worst first: by status (DOWN, DEGRADED, PAUSED, UNKNOWN), then by number of reasons,
    then by key so the order is stable.
    """
    counts = tuple((s, sum(1 for v in verdicts if v.status == s)) for s in STATUSES)
    ranked = sorted(
        (v for v in verdicts if v.status != "UP"),
        key=lambda v: (STATUSES.index(v.status), -len(v.reasons), v.product_key),
    )
    out = tuple(sorted((v for v in verdicts if v.out_of_sla), key=lambda v: v.product_key))
    oldest = min((v.checked_at for v in verdicts), default=None)
    return MeshSummary(counts, tuple(ranked), out, oldest)
