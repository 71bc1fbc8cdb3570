"""The PostgreSQL feedback store: the registry's database, tables of its own.

A report or a rating runs in one transaction that first takes an advisory lock on its
(product, caller), so gateways sharing the database check one caller's flood limit one
at a time.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from gateway.feedback.model import Issue, Page, Rating, RatingSummary
from gateway.feedback.store import (
    FeedbackError,
    check_page,
    count_issues_sql,
    cut_args,
    decode_issue_cursor,
    decode_rating_cursor,
    flooded,
    insert_issue_sql,
    issue_of,
    issue_values,
    issues_sql,
    page_of,
    rating_of,
    rating_values,
    ratings_sql,
    select_rating_sql,
    summary_sql,
    upsert_rating_sql,
    window,
)
from gateway.stores import Connection, PostgresCalls, utc

# Each entry moves the schema one version up; never edit a released entry, add one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """
            CREATE TABLE feedback_issues (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                product_id text NOT NULL,
                reporter text NOT NULL,
                severity text NOT NULL,
                text text NOT NULL,
                status text NOT NULL,
                created_at timestamptz NOT NULL
            )
            """,
            "CREATE INDEX feedback_issues_product ON feedback_issues (product_id, created_at, id)",
            "CREATE INDEX feedback_issues_reporter "
            "ON feedback_issues (product_id, reporter, created_at)",
            """
            CREATE TABLE feedback_ratings (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                product_id text NOT NULL,
                rater text NOT NULL,
                stars integer NOT NULL CHECK (stars BETWEEN 1 AND 5),
                comment text,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL,
                window_start timestamptz NOT NULL,
                window_count integer NOT NULL,
                UNIQUE (product_id, rater)
            )
            """,
            "CREATE INDEX feedback_ratings_product "
            "ON feedback_ratings (product_id, updated_at, id)",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
# Serializes gateways migrating the same database at once ("feedbk" in ASCII).
_MIGRATION_LOCK = 0x666565646B
P = "%s"
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"


def _lock_key(kind: str, product_id: str, caller: str) -> str:
    return json.dumps(["feedback", kind, product_id, caller])


class PostgresFeedbackStore:
    def __init__(self, calls: PostgresCalls) -> None:
        self._calls = calls

    @classmethod
    async def open(cls, dsn: str, *, pool_size: int = 4) -> PostgresFeedbackStore:
        calls = await PostgresCalls.open(
            dsn, MIGRATIONS, table="feedback_schema", what="feedback store",
            error=FeedbackError, lock_key=_MIGRATION_LOCK, pool_size=pool_size,
        )  # fmt: skip
        return cls(calls)

    async def report(self, issue: Issue, *, since: datetime, most: int) -> Issue:
        async def report(conn: Connection) -> Issue:
            async with conn.transaction():
                await conn.execute(_LOCK, (_lock_key("issue", issue.product_id, issue.reporter),))
                if most:
                    args = (issue.product_id, issue.reporter, utc(since))
                    row: Any = await (await conn.execute(count_issues_sql(P), args)).fetchone()
                    if int(row[0]) >= most:
                        raise flooded("reportIssue", most)
                values = issue_values(issue, utc(issue.created_at))
                row = await (await conn.execute(insert_issue_sql(P), values)).fetchone()
                return dataclasses.replace(issue, id=int(row[0]))

        return await self._calls.run(report)

    async def rate(
        self, rating: Rating, *, since: datetime, most: int
    ) -> tuple[Rating, Rating | None]:
        async def rate(conn: Connection) -> tuple[Rating, Rating | None]:
            async with conn.transaction():
                key = _lock_key("rating", rating.product_id, rating.rater)
                await conn.execute(_LOCK, (key,))
                args = (rating.product_id, rating.rater)
                row: Any = await (await conn.execute(select_rating_sql(P), args)).fetchone()
                before = None if row is None else rating_of(row, row[5], row[6])
                start, count = window(
                    None if row is None else row[7], 0 if row is None else int(row[8]),
                    utc(since), utc(rating.updated_at),
                )  # fmt: skip
                if most and count > most:
                    raise flooded("rateProduct", most)
                created = rating.created_at if before is None else before.created_at
                values = rating_values(
                    rating, utc(created), utc(rating.updated_at), utc(start), count
                )
                row = await (await conn.execute(upsert_rating_sql(P), values)).fetchone()
                return dataclasses.replace(rating, created_at=created, id=int(row[0])), before

        return await self._calls.run(rate)

    async def summary(self, product_id: str) -> RatingSummary:
        rows = await self._calls.select(summary_sql(P), [product_id])
        return RatingSummary.of_counts({int(s): int(n) for s, n in rows})

    async def issues(
        self, product_id: str, *, severity: str | None = None, first: int = 20,
        after: str | None = None,
    ) -> Page[Issue]:  # fmt: skip
        check_page(first)
        cut = decode_issue_cursor(after)
        head: list[Any] = [product_id] + ([severity] if severity else [])
        [(total,)] = await self._calls.select(
            issues_sql(P, severity=bool(severity), after=False, count=True), head
        )
        rows: list[Any] = []
        if first:
            rows = await self._calls.select(
                issues_sql(P, severity=bool(severity), after=cut is not None),
                [*head, *cut_args(cut), first + 1],
            )
        return page_of([issue_of(r, r[6]) for r in rows], first, int(total))

    async def ratings(
        self, product_id: str, *, first: int = 20, after: str | None = None
    ) -> Page[Rating]:
        check_page(first)
        cut = decode_rating_cursor(after)
        [(total,)] = await self._calls.select(ratings_sql(P, after=False, count=True), [product_id])
        rows: list[Any] = []
        if first:
            rows = await self._calls.select(
                ratings_sql(P, after=cut is not None), [product_id, *cut_args(cut), first + 1]
            )
        return page_of([rating_of(r, r[5], r[6]) for r in rows], first, int(total))

    async def close(self) -> None:
        await self._calls.close()
