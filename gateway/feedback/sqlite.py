"""The SQLite feedback store: the registry's file, tables of its own.

A report or a rating runs in one ``BEGIN IMMEDIATE`` transaction (the database's write
lock, held across processes sharing the file), so its flood check and its write are one.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

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
from gateway.stores import SqliteCalls, stamp

T = TypeVar("T")

# Each entry moves the schema one version up; never edit a released entry, add one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """
            CREATE TABLE feedback_issues (
                id INTEGER PRIMARY KEY,
                product_id TEXT NOT NULL,
                reporter TEXT NOT NULL,
                severity TEXT NOT NULL,
                text TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX feedback_issues_product ON feedback_issues (product_id, created_at, id)",
            "CREATE INDEX feedback_issues_reporter "
            "ON feedback_issues (product_id, reporter, created_at)",
            """
            CREATE TABLE feedback_ratings (
                id INTEGER PRIMARY KEY,
                product_id TEXT NOT NULL,
                rater TEXT NOT NULL,
                stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
                comment TEXT,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                window_start TEXT NOT NULL,
                window_count INTEGER NOT NULL,
                UNIQUE (product_id, rater)
            )
            """,
            "CREATE INDEX feedback_ratings_product "
            "ON feedback_ratings (product_id, updated_at, id)",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
P = "?"


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


class SqliteFeedbackStore:
    def __init__(self, calls: SqliteCalls) -> None:
        self._calls = calls

    @classmethod
    async def open(cls, path: str) -> SqliteFeedbackStore:
        return cls(
            await SqliteCalls.open(
                path,
                MIGRATIONS,
                table="feedback_schema",
                what="feedback store",
                error=FeedbackError,
            )
        )

    def _immediate(self, call: Callable[[sqlite3.Connection], T]) -> T:
        """``call(db)`` in a transaction holding the write lock from its start."""
        db = self._calls.db
        db.execute("BEGIN IMMEDIATE")
        try:
            result = call(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return result

    async def report(self, issue: Issue, *, since: datetime, most: int) -> Issue:
        def report(db: sqlite3.Connection) -> Issue:
            if most:
                args = (issue.product_id, issue.reporter, stamp(since))
                (count,) = db.execute(count_issues_sql(P), args).fetchone()
                if count >= most:
                    raise flooded("reportIssue", most)
            row = issue_values(issue, stamp(issue.created_at))
            (new_id,) = db.execute(insert_issue_sql(P), row).fetchone()
            return dataclasses.replace(issue, id=int(new_id))

        return await self._calls.run(self._immediate, report)

    async def rate(
        self, rating: Rating, *, since: datetime, most: int
    ) -> tuple[Rating, Rating | None]:
        def rate(db: sqlite3.Connection) -> tuple[Rating, Rating | None]:
            row = db.execute(select_rating_sql(P), (rating.product_id, rating.rater)).fetchone()
            before = None if row is None else rating_of(row, _time(row[5]), _time(row[6]))
            start, count = window(
                None if row is None else _time(row[7]), 0 if row is None else int(row[8]),
                since, rating.updated_at,
            )  # fmt: skip
            if most and count > most:
                raise flooded("rateProduct", most)
            created = rating.created_at if before is None else before.created_at
            values = rating_values(
                rating, stamp(created), stamp(rating.updated_at), stamp(start), count
            )
            (new_id,) = db.execute(upsert_rating_sql(P), values).fetchone()
            stored = dataclasses.replace(rating, created_at=created, id=int(new_id))
            return stored, before

        return await self._calls.run(self._immediate, rate)

    async def summary(self, product_id: str) -> RatingSummary:
        rows = await self._calls.run(
            lambda: self._calls.db.execute(summary_sql(P), (product_id,)).fetchall()
        )
        return RatingSummary.of_counts({int(s): int(n) for s, n in rows})

    async def issues(
        self, product_id: str, *, severity: str | None = None, first: int = 20,
        after: str | None = None,
    ) -> Page[Issue]:  # fmt: skip
        check_page(first)
        cut = decode_issue_cursor(after)
        head = [product_id] + ([severity] if severity else [])
        page_sql = issues_sql(P, severity=bool(severity), after=cut is not None)
        page_args = [*head, *cut_args(None if cut is None else (stamp(cut[0]), cut[1])), first + 1]
        count_sql = issues_sql(P, severity=bool(severity), after=False, count=True)

        def read() -> tuple[int, list[Issue]]:
            db = self._calls.db
            (total,) = db.execute(count_sql, head).fetchone()
            rows = db.execute(page_sql, page_args).fetchall() if first else []
            return int(total), [issue_of(r, _time(r[6])) for r in rows]

        total, items = await self._calls.run(read)
        return page_of(items, first, total)

    async def ratings(
        self, product_id: str, *, first: int = 20, after: str | None = None
    ) -> Page[Rating]:
        check_page(first)
        cut = decode_rating_cursor(after)
        page_sql = ratings_sql(P, after=cut is not None)
        page_args = [
            product_id,
            *cut_args(None if cut is None else (stamp(cut[0]), cut[1])),
            first + 1,
        ]

        def read() -> tuple[int, list[Rating]]:
            db = self._calls.db
            (total,) = db.execute(ratings_sql(P, after=False, count=True), [product_id]).fetchone()
            rows = db.execute(page_sql, page_args).fetchall() if first else []
            return int(total), [rating_of(r, _time(r[5]), _time(r[6])) for r in rows]

        total, items = await self._calls.run(read)
        return page_of(items, first, total)

    async def close(self) -> None:
        await self._calls.close()
