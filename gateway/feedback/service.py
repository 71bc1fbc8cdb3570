"""Feedback as the gateway takes it: checked, stored, then told to the product's owners.

:class:`Feedback` is what the graph calls. It checks what a caller wrote
(:mod:`gateway.feedback.rules`), stores it with the caller's flood limit
(:mod:`gateway.feedback.store`), then publishes a :class:`~gateway.notify.MeshEvent`
(``ISSUE`` or ``RATING``) through the notifier: the notification sinks deliver it to the
subscriptions of the product's owners. Feedback once stored is kept even when telling it
fails (logged): the report is what matters, the event is a courtesy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gateway.feedback.model import Issue, Page, Rating, RatingSummary
from gateway.feedback.rules import check_severity, check_stars, check_text, one_line
from gateway.feedback.store import FeedbackStore
from gateway.notify import ISSUE, RATING, MeshEvent, Notifier
from gateway.registry import RegisteredProduct

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=1)
"""The span a caller's flood limits count over."""


@dataclass(frozen=True)
class FeedbackLimits:
    """The operator's limits (``MESHGATE_FEEDBACK_*``); 0 for a per-hour one: no limit."""

    max_text_chars: int = 4000
    max_issues_per_hour: int = 10
    max_ratings_per_hour: int = 10


class Feedback:
    """Issues and ratings of products, on ``store``, told through ``notifier``."""

    def __init__(
        self,
        store: FeedbackStore,
        notifier: Notifier,
        limits: FeedbackLimits,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self._notifier = notifier
        self._limits = limits
        self._clock = clock

    async def report(
        self, product: RegisteredProduct, reporter: str, text: str, severity: str
    ) -> Issue:
        """Store an issue ``reporter`` found with ``product`` and tell its owners."""
        check_severity(severity)
        check_text(text, argument="text", max_chars=self._limits.max_text_chars)
        now = self._clock()
        issue = await self.store.report(
            Issue(product.id, reporter, severity, text, now),
            since=now - WINDOW,
            most=self._limits.max_issues_per_hour,
        )
        await self._tell(
            MeshEvent(
                ISSUE,
                product.id,
                product.key,
                now,
                f"{product.key}: {severity} issue reported: {one_line(text)}",
                {"severity": severity, "text": text, "by": reporter, "issueId": str(issue.id)},
            )  # fmt: skip
        )
        return issue

    async def rate(
        self, product: RegisteredProduct, rater: str, stars: int, comment: str | None
    ) -> Rating:
        """Store ``rater``'s rating of ``product`` (replacing theirs) and tell its owners.
        A comment of only white space is no comment."""
        check_stars(stars)
        if comment is not None and not comment.strip():
            comment = None
        if comment is not None:
            check_text(comment, argument="comment", max_chars=self._limits.max_text_chars)
        now = self._clock()
        rating, before = await self.store.rate(
            Rating(product.id, rater, stars, comment, now, now),
            since=now - WINDOW,
            most=self._limits.max_ratings_per_hour,
        )
        was = f" (was {before.stars}/5)" if before is not None else ""
        await self._tell(
            MeshEvent(
                RATING,
                product.id,
                product.key,
                now,
                f"{product.key} rated {stars}/5{was}",
                {
                    "stars": stars,
                    "comment": comment,
                    "by": rater,
                    "before": None if before is None else before.stars,
                },
            )  # fmt: skip
        )
        return rating

    async def summary(self, product_id: str) -> RatingSummary:
        return await self.store.summary(product_id)

    async def issues(
        self, product_id: str, *, severity: str | None, first: int, after: str | None
    ) -> Page[Issue]:
        return await self.store.issues(product_id, severity=severity, first=first, after=after)

    async def ratings(self, product_id: str, *, first: int, after: str | None) -> Page[Rating]:
        return await self.store.ratings(product_id, first=first, after=after)

    async def _tell(self, event: MeshEvent) -> None:
        try:
            await self._notifier.publish(event)
        except Exception:  # stored is stored: a bus down must not undo the caller's report
            log.exception(
                "telling %s event %s of %s failed", event.kind, event.id, event.product_key
            )
