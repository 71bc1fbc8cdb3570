"""The storage interface of feedback, the SQL both backends share, and
:func:`open_feedback_store`.

Feedback lives in the registry's database (``MESHGATE_REGISTRY_URL``), in two tables of
its own with their own schema version (``feedback_schema``): ``feedback_issues`` (a row
per report) and ``feedback_ratings`` (a row per product and rater, replaced when the
rater rates again). Every value reaches the database as a parameter, never inside the
statement's text: feedback is text written by callers.

A report or a rating is checked against its caller's flood limit in the same transaction
that stores it (serialized per product and caller), so two gateways, or two requests at
once, cannot both slip under the limit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from gateway import time_cursors
from gateway.errors import BadRequest, GatewayError, RateLimited
from gateway.feedback.model import Issue, Page, Rating, RatingSummary
from gateway.registry.store import parse_registry_url

MAX_PAGE = 100
_ISSUE = "issue:"
_RATING = "rating:"

ISSUE_COLUMNS = ("id", "product_id", "reporter", "severity", "text", "status", "created_at")
RATING_COLUMNS = (
    "id", "product_id", "rater", "stars", "comment", "created_at", "updated_at",
    "window_start", "window_count",
)  # fmt: skip


class FeedbackError(GatewayError):
    """The feedback store cannot be opened, read or written."""

    code = "FEEDBACK_STORE_ERROR"


class FeedbackStore(Protocol):
    async def report(self, issue: Issue, *, since: datetime, most: int) -> Issue:
        """Store ``issue`` (its id set), unless its reporter already reported ``most``
        issues on the product at or after ``since``: then ``RATE_LIMITED`` (0: no limit)."""
        ...

    async def rate(
        self, rating: Rating, *, since: datetime, most: int
    ) -> tuple[Rating, Rating | None]:
        """Store ``rating`` in place of the rater's earlier one of the product (kept
        ``created_at`` and id); the rating stored and the one replaced. Refused with
        ``RATE_LIMITED`` when the rater already rated the product ``most`` times at or after
        ``since`` (0: no limit)."""
        ...

    async def summary(self, product_id: str) -> RatingSummary:
        """Every rating of the product counted per stars."""
        ...

    async def issues(
        self, product_id: str, *, severity: str | None = None, first: int = 20,
        after: str | None = None,
    ) -> Page[Issue]:  # fmt: skip
        """The product's issues (of ``severity`` when given), newest first."""
        ...

    async def ratings(
        self, product_id: str, *, first: int = 20, after: str | None = None
    ) -> Page[Rating]:
        """The product's ratings, the latest changed first."""
        ...

    async def close(self) -> None: ...


async def open_feedback_store(url: str, *, pool_size: int = 4) -> FeedbackStore:
    """The store in the database at registry URL ``url``, its tables migrated."""
    location = parse_registry_url(url)
    if location.backend == "sqlite":
        from gateway.feedback.sqlite import SqliteFeedbackStore

        return await SqliteFeedbackStore.open(location.target)
    from gateway.feedback.postgres import PostgresFeedbackStore

    return await PostgresFeedbackStore.open(location.target, pool_size=pool_size)


def flooded(what: str, most: int) -> RateLimited:
    """The refusal of a caller over its limit of ``what`` per product per hour."""
    return RateLimited(
        f"{what}: at most {most} per product per hour from one caller; try again later",
        limit=most,
    )


def check_page(first: int) -> None:
    """Refuse a page size outside 0..:data:`MAX_PAGE` (0: the count alone)."""
    if not 0 <= first <= MAX_PAGE:
        raise BadRequest(f"first: expected 0 to {MAX_PAGE}, got {first}", argument="first")


def issue_cursor(issue: Issue) -> str:
    return time_cursors.encode(_ISSUE, issue.created_at, issue.id)


def rating_cursor(rating: Rating) -> str:
    return time_cursors.encode(_RATING, rating.updated_at, rating.id)


def _decoded(prefix: str, cursor: str | None) -> tuple[datetime, int] | None:
    """The (time, id) of ``cursor`` (:func:`gateway.time_cursors.decode` refuses made-up
    ones)."""
    if cursor is None:
        return None
    return time_cursors.decode(prefix, cursor)


def decode_issue_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    return _decoded(_ISSUE, cursor)


def decode_rating_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """
    >>> from datetime import UTC
    >>> at = datetime(2026, 1, 1, tzinfo=UTC)
    >>> decode_rating_cursor(rating_cursor(Rating("p", "ana", 4, None, at, at, id=7)))[1]
    7
    """
    return _decoded(_RATING, cursor)


# -- SQL shared by both backends; ``p`` is the backend's placeholder (? or %s) ------------


def count_issues_sql(p: str) -> str:
    """Issues of one reporter on one product since a time. Parameters: product, reporter,
    since."""
    return (
        f"SELECT count(*) FROM feedback_issues "
        f"WHERE product_id = {p} AND reporter = {p} AND created_at >= {p}"
    )


def insert_issue_sql(p: str) -> str:
    """Parameters: :data:`ISSUE_COLUMNS` but the id."""
    return (
        f"INSERT INTO feedback_issues ({', '.join(ISSUE_COLUMNS[1:])}) "
        f"VALUES ({', '.join(p for _ in ISSUE_COLUMNS[1:])}) RETURNING id"
    )


def select_rating_sql(p: str) -> str:
    """One rater's rating of one product. Parameters: product, rater."""
    return (
        f"SELECT {', '.join(RATING_COLUMNS)} FROM feedback_ratings "
        f"WHERE product_id = {p} AND rater = {p}"
    )


def upsert_rating_sql(p: str) -> str:
    """Insert a rating or replace the rater's earlier one, keeping its id and
    ``created_at``. Parameters: :data:`RATING_COLUMNS` but the id."""
    return (
        f"INSERT INTO feedback_ratings ({', '.join(RATING_COLUMNS[1:])}) "
        f"VALUES ({', '.join(p for _ in RATING_COLUMNS[1:])}) "
        "ON CONFLICT (product_id, rater) DO UPDATE SET stars = excluded.stars, "
        "comment = excluded.comment, updated_at = excluded.updated_at, "
        "window_start = excluded.window_start, window_count = excluded.window_count "
        "RETURNING id"
    )


def summary_sql(p: str) -> str:
    """Parameters: product."""
    return f"SELECT stars, count(*) FROM feedback_ratings WHERE product_id = {p} GROUP BY stars"


def issues_sql(p: str, *, severity: bool, after: bool, count: bool = False) -> str:
    """A page of a product's issues, or their count. Parameters: product[, severity]
    [, at, at, id], limit (no cut nor limit for the count)."""
    where = f"product_id = {p}"
    if severity:
        where += f" AND severity = {p}"
    if count:
        return f"SELECT count(*) FROM feedback_issues WHERE {where}"
    if after:
        where += f" AND (created_at < {p} OR (created_at = {p} AND id < {p}))"
    return (
        f"SELECT {', '.join(ISSUE_COLUMNS)} FROM feedback_issues WHERE {where} "
        f"ORDER BY created_at DESC, id DESC LIMIT {p}"
    )


def ratings_sql(p: str, *, after: bool, count: bool = False) -> str:
    """A page of a product's ratings, or their count. Parameters: product[, at, at, id],
    limit (no cut nor limit for the count)."""
    where = f"product_id = {p}"
    if count:
        return f"SELECT count(*) FROM feedback_ratings WHERE {where}"
    if after:
        where += f" AND (updated_at < {p} OR (updated_at = {p} AND id < {p}))"
    return (
        f"SELECT {', '.join(RATING_COLUMNS)} FROM feedback_ratings WHERE {where} "
        f"ORDER BY updated_at DESC, id DESC LIMIT {p}"
    )


def issue_values(issue: Issue, created_at: Any) -> tuple[Any, ...]:
    """The row of ``issue`` without its id, in :data:`ISSUE_COLUMNS` order."""
    return (
        issue.product_id, issue.reporter, issue.severity, issue.text, issue.status, created_at,
    )  # fmt: skip


def rating_values(
    rating: Rating, created_at: Any, updated_at: Any, window_start: Any, window_count: int
) -> tuple[Any, ...]:
    """The row of ``rating`` without its id, in :data:`RATING_COLUMNS` order."""
    return (
        rating.product_id, rating.rater, rating.stars, rating.comment, created_at, updated_at,
        window_start, window_count,
    )  # fmt: skip


def issue_of(row: Any, created_at: datetime) -> Issue:
    return Issue(
        product_id=row[1], reporter=row[2], severity=row[3], text=row[4], status=row[5],
        created_at=created_at, id=int(row[0]),
    )  # fmt: skip


def rating_of(row: Any, created_at: datetime, updated_at: datetime) -> Rating:
    return Rating(
        product_id=row[1], rater=row[2], stars=int(row[3]), comment=row[4],
        created_at=created_at, updated_at=updated_at, id=int(row[0]),
    )  # fmt: skip


def window(
    previous_start: datetime | None, previous_count: int, since: datetime, now: datetime
) -> tuple[datetime, int]:
    """The rate window a new rating falls in: the earlier one, counted once more, while it
    started at or after ``since``; else a new one starting ``now``.

    >>> from datetime import UTC, timedelta
    >>> t = datetime(2026, 1, 1, 12, tzinfo=UTC)
    >>> window(t, 3, t - timedelta(hours=1), t)[1]
    4
    >>> window(t - timedelta(hours=2), 3, t - timedelta(hours=1), t) == (t, 1)
    True
    """
    if previous_start is not None and previous_start >= since:
        return previous_start, previous_count + 1
    return now, 1


def cut_args(cut: tuple[Any, int] | None) -> list[Any]:
    return [] if cut is None else [cut[0], cut[0], cut[1]]


def page_of(items: list[Any], first: int, total: int) -> Page[Any]:
    return Page(tuple(items[:first]), total, len(items) > first)
