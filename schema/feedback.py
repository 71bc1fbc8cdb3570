"""Feedback in the graph (docs/feedback.md): ``reportIssue`` and ``rateProduct``, and a
product's ``feedback { rating ratings issues }``.

Texts come back exactly as their authors wrote them, as plain GraphQL strings: the graph
never renders or interprets them, and a front-end showing them must escape them.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from gateway.feedback import STARS, Issue, Rating, issue_cursor, rating_cursor
from gateway.registry import RegisteredProduct
from resolvers import feedback as resolve
from schema.pages import PageInfo, page_size

_PLAIN = " Plain text as its author wrote it: escape it before putting it in HTML."
_WHO = (
    "The caller's subject: shown to the product's owners, admins and that caller; "
    "null for anyone else."
)


@strawberry.enum(description="How badly an issue hurts the consumer who reports it.")
class IssueSeverity(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


@strawberry.enum(description="Where a reported issue stands.")
class IssueStatus(Enum):
    OPEN = "OPEN"


@strawberry.type(description="An issue a consumer reported with a product.")
class FeedbackIssue:
    id: strawberry.ID
    product_id: strawberry.ID
    severity: IssueSeverity
    text: str = strawberry.field(description="What the reporter wrote." + _PLAIN)
    status: IssueStatus
    created_at: datetime
    reporter: str | None = strawberry.field(description=_WHO)
    cursor: str = strawberry.field(description="Pass as `after` to continue after this one.")

    @classmethod
    def of(cls, info: Info, product: RegisteredProduct, issue: Issue) -> FeedbackIssue:
        return cls(
            id=strawberry.ID(str(issue.id)), product_id=strawberry.ID(issue.product_id),
            severity=IssueSeverity(issue.severity), text=issue.text,
            status=IssueStatus(issue.status), created_at=issue.created_at,
            reporter=resolve.who(info, product, issue.reporter), cursor=issue_cursor(issue),
        )  # fmt: skip


@strawberry.type(description="A consumer's rating of a product: the latest one they gave.")
class ProductRating:
    product_id: strawberry.ID
    stars: int = strawberry.field(description="1 to 5.")
    comment: str | None = strawberry.field(description="The rater's comment." + _PLAIN)
    created_at: datetime = strawberry.field(description="When the rater first rated it.")
    updated_at: datetime = strawberry.field(description="When the rater last rated it.")
    rater: str | None = strawberry.field(description=_WHO)
    cursor: str = strawberry.field(description="Pass as `after` to continue after this one.")

    @classmethod
    def of(cls, info: Info, product: RegisteredProduct, rating: Rating) -> ProductRating:
        return cls(
            product_id=strawberry.ID(rating.product_id), stars=rating.stars,
            comment=rating.comment, created_at=rating.created_at, updated_at=rating.updated_at,
            rater=resolve.who(info, product, rating.rater), cursor=rating_cursor(rating),
        )  # fmt: skip


@strawberry.type(description="How many ratings gave so many stars.")
class StarCount:
    stars: int
    count: int


@strawberry.type(description="Every rating of a product, counted (one per rater).")
class RatingSummary:
    average: float | None = strawberry.field(description="Mean stars; null with no rating.")
    count: int
    distribution: list[StarCount] = strawberry.field(description="1 to 5 stars, in order.")


@strawberry.type(description="A page of a product's issues, newest first.")
class FeedbackIssueConnection:
    total_count: int
    nodes: list[FeedbackIssue]
    page_info: PageInfo


@strawberry.type(description="A page of a product's ratings, the latest changed first.")
class ProductRatingConnection:
    total_count: int
    nodes: list[ProductRating]
    page_info: PageInfo


def _page_info(after: str | None, has_next: bool, cursors: list[str]) -> PageInfo:
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=after is not None,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


@strawberry.type(description="What consumers say of a product (docs/feedback.md).")
class ProductFeedback:
    product: strawberry.Private[RegisteredProduct]

    @strawberry.field(description="The ratings counted: average, count, stars distribution.")
    async def rating(self, info: Info) -> RatingSummary:
        found = await resolve.summary(info, self.product)
        return RatingSummary(
            average=found.average,
            count=found.count,
            distribution=[
                StarCount(stars=s, count=n) for s, n in zip(STARS, found.distribution, strict=True)
            ],
        )

    @strawberry.field(description="The ratings, the latest changed first; signed-in callers "
                      "only (anonymous: UNAUTHENTICATED).")  # fmt: skip
    async def ratings(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> ProductRatingConnection:
        page = await resolve.ratings(info, self.product, page_size(info, first), after)
        nodes = [ProductRating.of(info, self.product, r) for r in page.items]
        return ProductRatingConnection(
            total_count=page.total,
            nodes=nodes,
            page_info=_page_info(after, page.has_next, [n.cursor for n in nodes]),
        )

    @strawberry.field(description="The issues reported, newest first, of `severity` when "
                      "given; signed-in callers only (anonymous: UNAUTHENTICATED).")  # fmt: skip
    async def issues(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        severity: IssueSeverity | None = None,
    ) -> FeedbackIssueConnection:
        level = None if severity is None else severity.value
        page = await resolve.issues(info, self.product, level, page_size(info, first), after)
        nodes = [FeedbackIssue.of(info, self.product, i) for i in page.items]
        return FeedbackIssueConnection(
            total_count=page.total,
            nodes=nodes,
            page_info=_page_info(after, page.has_next, [n.cursor for n in nodes]),
        )


@strawberry.type
class FeedbackMutation:
    @strawberry.mutation(
        description="Report an issue with a product to its owners (signed-in callers; "
        "text: not blank, at most MESHGATE_FEEDBACK_MAX_TEXT_CHARS characters, no control "
        "characters but tab and line breaks; a caller reporting more than "
        "MESHGATE_FEEDBACK_MAX_ISSUES_PER_HOUR on one product in an hour: RATE_LIMITED)."
    )
    async def report_issue(
        self, info: Info, product: strawberry.ID, text: str, severity: IssueSeverity
    ) -> FeedbackIssue:
        found, issue = await resolve.report(info, str(product), text, severity.value)
        return FeedbackIssue.of(info, found, issue)

    @strawberry.mutation(
        description="Rate a product 1 to 5 stars, with an optional comment (the rules of "
        "reportIssue's text); rating it again replaces your rating (at most "
        "MESHGATE_FEEDBACK_MAX_RATINGS_PER_HOUR times an hour: RATE_LIMITED)."
    )
    async def rate_product(
        self, info: Info, product: strawberry.ID, stars: int, comment: str | None = None
    ) -> ProductRating:
        found, rating = await resolve.rate(info, str(product), stars, comment)
        return ProductRating.of(info, found, rating)
