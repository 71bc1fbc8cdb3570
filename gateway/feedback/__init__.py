"""Feedback (docs/feedback.md): issues consumers report on a product and the stars they
give it, stored on the registry's database and told to the product's owners."""

from __future__ import annotations

from gateway.feedback.model import OPEN, SEVERITIES, STARS, Issue, Page, Rating, RatingSummary
from gateway.feedback.rules import CONTROL_CHARACTER, EMPTY, OUT_OF_RANGE, TOO_LONG
from gateway.feedback.service import Feedback, FeedbackLimits
from gateway.feedback.store import (
    MAX_PAGE,
    FeedbackError,
    FeedbackStore,
    issue_cursor,
    open_feedback_store,
    rating_cursor,
)

__all__ = [
    "CONTROL_CHARACTER",
    "EMPTY",
    "MAX_PAGE",
    "OPEN",
    "OUT_OF_RANGE",
    "SEVERITIES",
    "STARS",
    "TOO_LONG",
    "Feedback",
    "FeedbackError",
    "FeedbackLimits",
    "FeedbackStore",
    "Issue",
    "Page",
    "Rating",
    "RatingSummary",
    "issue_cursor",
    "open_feedback_store",
    "rating_cursor",
]
