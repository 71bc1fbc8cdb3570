"""What consumers tell about a product: issues they report and the stars they give.

Plain frozen data, shared by the store, the service and the graph. An issue is a new row
each time; a rating is one per (product, rater): rating again replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
"""An issue's severity, least to most urgent."""

OPEN = "OPEN"
"""The status of a reported issue (the only one for now: owners do not close them yet)."""

T = TypeVar("T")

STARS = range(1, 6)
"""The stars a rating may give: 1 to 5."""


@dataclass(frozen=True)
class Issue:
    """One issue a caller reported on a product. ``id`` is 0 until stored."""

    product_id: str
    reporter: str
    severity: str
    text: str
    created_at: datetime
    status: str = OPEN
    id: int = 0


@dataclass(frozen=True)
class Rating:
    """A caller's rating of a product: the latest one they gave (``updated_at``), first
    given at ``created_at``. ``id`` stays the same when the rating is replaced."""

    product_id: str
    rater: str
    stars: int
    comment: str | None
    created_at: datetime
    updated_at: datetime
    id: int = 0


@dataclass(frozen=True)
class RatingSummary:
    """Every stored rating of a product counted: ``distribution[i]`` ratings of ``i + 1``
    stars; the average is over them all (None without any).

    >>> s = RatingSummary((0, 0, 1, 0, 1))
    >>> (s.count, s.average)
    (2, 4.0)
    >>> RatingSummary((0, 0, 0, 0, 0)).average is None
    True
    """

    distribution: tuple[int, int, int, int, int]

    @property
    def count(self) -> int:
        return sum(self.distribution)

    @property
    def average(self) -> float | None:
        if not self.count:
            return None
        total = sum(stars * n for stars, n in zip(STARS, self.distribution, strict=True))
        return total / self.count

    @classmethod
    def of_counts(cls, counts: dict[int, int]) -> RatingSummary:
        """From ``{stars: how many}`` (stars outside 1..5 are not counted)."""
        a, b, c, d, e = (int(counts.get(s, 0)) for s in STARS)
        return cls((a, b, c, d, e))


@dataclass(frozen=True)
class Page(Generic[T]):
    """A page of issues or ratings, newest first, with how many there are in all."""

    items: tuple[T, ...]
    total: int
    has_next: bool
