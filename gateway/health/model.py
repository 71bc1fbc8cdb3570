"""What the gateway concludes about a product's health: a status and the reasons for it.

The status is the gateway's judgement, not the product's word: see docs/health.md for
the rules. Every reason names what it is about (a contract, a quality rule, an SLA
property) and shows the value seen against the value promised, so a consumer can check
the verdict without trusting the gateway either.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

UP: Final = "UP"
DEGRADED: Final = "DEGRADED"
DOWN: Final = "DOWN"
PAUSED: Final = "PAUSED"
UNKNOWN: Final = "UNKNOWN"

STATUSES: Final = (DOWN, DEGRADED, PAUSED, UNKNOWN, UP)
"""Worst first: the order of ``worstOffenders`` and of the status a product gets when
several reasons disagree (see :func:`worst`)."""

# The reason codes (stable: clients switch on them; docs/health.md lists each).
UNREACHABLE: Final = "UNREACHABLE"
NOT_CHECKED: Final = "NOT_CHECKED"
PRODUCT_PAUSED: Final = "PRODUCT_PAUSED"
PRODUCT_STOPPED: Final = "PRODUCT_STOPPED"
PRODUCT_REPORTED: Final = "PRODUCT_REPORTED"
RESULTS_UNAVAILABLE: Final = "RESULTS_UNAVAILABLE"
RESULTS_TRUNCATED: Final = "RESULTS_TRUNCATED"
QUALITY_RULE_FAILED: Final = "QUALITY_RULE_FAILED"
QUALITY_RULE_UNVERIFIED: Final = "QUALITY_RULE_UNVERIFIED"
SLA_BREACHED: Final = "SLA_BREACHED"
LATE_DATA: Final = "LATE_DATA"
STALE_RESULTS: Final = "STALE_RESULTS"
END_OF_SUPPORT: Final = "END_OF_SUPPORT"
END_OF_LIFE: Final = "END_OF_LIFE"
REASONS_TRUNCATED: Final = "REASONS_TRUNCATED"

SLA_CODES: Final = frozenset({SLA_BREACHED, LATE_DATA, STALE_RESULTS, END_OF_SUPPORT, END_OF_LIFE})
"""Reasons that put a product out of its SLA (``meshHealth.outOfSla``)."""

MAX_TEXT: Final = 300  # characters of a message or value a reason keeps


def clip(value: object, limit: int = MAX_TEXT) -> str | None:
    """``value`` as short text (a product chooses these strings: keep them bounded).

    >>> clip("x" * 400)[-3:], len(clip("x" * 400))
    ('...', 300)
    >>> clip(None) is None
    True
    """
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Reason:
    """One thing that keeps a product from UP; ``status`` is the state it calls for."""

    code: str
    status: str
    message: str
    contract: str | None = None  # "id/version"
    rule: str | None = None
    property: str | None = None  # the SLA property, or the element a rule is about
    observed: str | None = None
    promised: str | None = None
    since: datetime | None = None  # first seen by the gateway (kept across refreshes)

    @builtins.property
    def key(self) -> tuple[str | None, ...]:
        """What makes two reasons "the same" from one refresh to the next."""
        return (self.code, self.contract, self.rule, self.property)


@dataclass(frozen=True)
class Judgement:
    """A product's health at ``checked_at``; ``reported`` is what the product said."""

    product_id: str
    product_key: str
    status: str
    checked_at: datetime
    reasons: tuple[Reason, ...] = ()
    reported: str | None = None
    state: str | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False)

    @builtins.property
    def out_of_sla(self) -> bool:
        """Whether a reason breaks a service-level promise of the contract."""
        return any(r.code in SLA_CODES for r in self.reasons)


def worst(statuses: list[str], default: str = UP) -> str:
    """The worst of ``statuses`` in :data:`STATUSES` order.

    >>> worst([UP, DEGRADED, PAUSED])
    'DEGRADED'
    >>> worst([])
    'UP'
    """
    found = [s for s in STATUSES if s in statuses]
    return found[0] if found else default
