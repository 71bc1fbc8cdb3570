"""The feedback store on both backends: what it keeps, re-rating, the rating summary,
paging, the flood limits (also under concurrent writers), and text kept verbatim."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gateway.errors import BadRequest, RateLimited
from gateway.feedback import FeedbackStore, Issue, Rating, open_feedback_store
from gateway.registry import open_registry

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'run' / 'registry.db'}"
    dsn: str = request.getfixturevalue("fresh_postgres_dsn")
    return dsn


@pytest.fixture
async def store(url: str) -> AsyncIterator[FeedbackStore]:
    opened = await open_feedback_store(url, pool_size=4)
    yield opened
    await opened.close()


def issue(at: datetime, *, by: str = "ana", text: str = "late", severity: str = "HIGH",
          product: str = "p1") -> Issue:  # fmt: skip
    return Issue(product, by, severity, text, at)


def rating(at: datetime, stars: int, *, by: str = "ana", comment: str | None = None,
           product: str = "p1") -> Rating:  # fmt: skip
    return Rating(product, by, stars, comment, at, at)


async def test_an_issue_comes_back_as_reported(store: FeedbackStore) -> None:
    stored = await store.report(issue(T0), since=T0 - HOUR, most=10)
    assert stored.id > 0
    page = await store.issues("p1")
    assert page.items == (stored,)
    assert (page.total, page.has_next) == (1, False)
    assert (stored.reporter, stored.severity, stored.text, stored.status, stored.created_at) == (
        "ana", "HIGH", "late", "OPEN", T0,
    )  # fmt: skip
    assert (await store.issues("p2")).items == ()


async def test_issues_page_newest_first_and_filter_by_severity(store: FeedbackStore) -> None:
    severities = ["LOW", "HIGH", "LOW", "CRITICAL", "LOW"]
    for i, severity in enumerate(severities):
        await store.report(
            issue(T0 + timedelta(minutes=i), by=f"u{i}", text=f"n{i}", severity=severity),
            since=T0 - HOUR, most=10,
        )  # fmt: skip
    first = await store.issues("p1", first=2)
    assert [i.text for i in first.items] == ["n4", "n3"]
    assert (first.total, first.has_next) == (5, True)
    after = first.items[-1]
    from gateway.feedback import issue_cursor

    rest = await store.issues("p1", first=10, after=issue_cursor(after))
    assert [i.text for i in rest.items] == ["n2", "n1", "n0"] and not rest.has_next
    low = await store.issues("p1", severity="LOW")
    assert [i.text for i in low.items] == ["n4", "n2", "n0"]
    assert low.total == severities.count("LOW")
    counted = await store.issues("p1", first=0)
    assert (counted.items, counted.total) == ((), 5)
    with pytest.raises(BadRequest):
        await store.issues("p1", after="not-a-cursor")
    with pytest.raises(BadRequest):  # a rating's cursor is not an issue's
        from gateway.feedback import rating_cursor

        await store.issues("p1", after=rating_cursor(rating(T0, 3)))


async def test_rating_again_replaces_the_first(store: FeedbackStore) -> None:
    first, before = await store.rate(rating(T0, 2, comment="slow"), since=T0 - HOUR, most=10)
    assert before is None
    later = T0 + timedelta(minutes=5)
    second, replaced = await store.rate(rating(later, 5), since=later - HOUR, most=10)
    assert replaced == first
    assert (second.id, second.created_at, second.updated_at) == (first.id, T0, later)
    page = await store.ratings("p1")
    assert page.items == (second,) and page.total == 1
    assert (page.items[0].stars, page.items[0].comment) == (5, None)


async def test_the_summary_counts_what_was_stored(store: FeedbackStore) -> None:
    given = {"a": 5, "b": 4, "c": 4, "d": 1, "e": 3, "f": 4}
    for n, (who, stars) in enumerate(given.items()):
        at = T0 + timedelta(seconds=n)
        await store.rate(rating(at, 2, by=who), since=at - HOUR, most=10)  # replaced next
        await store.rate(rating(at, stars, by=who), since=at - HOUR, most=10)
    await store.rate(rating(T0, 1, by="a", product="other"), since=T0 - HOUR, most=10)
    summary = await store.summary("p1")
    counts = Counter(given.values())
    assert summary.distribution == tuple(counts.get(s, 0) for s in range(1, 6))
    assert summary.count == len(given)
    assert summary.average == pytest.approx(sum(given.values()) / len(given))
    assert (await store.summary("nothing")).average is None


async def test_a_reporter_over_the_limit_is_refused_for_that_hour(store: FeedbackStore) -> None:
    for n in range(3):
        await store.report(issue(T0 + timedelta(minutes=n)), since=T0 - HOUR, most=3)
    now = T0 + timedelta(minutes=10)
    with pytest.raises(RateLimited) as refused:
        await store.report(issue(now), since=now - HOUR, most=3)
    assert refused.value.code == "RATE_LIMITED"
    await store.report(issue(now, by="bo"), since=now - HOUR, most=3)  # another caller
    await store.report(issue(now, product="p2"), since=now - HOUR, most=3)  # another product
    later = T0 + timedelta(minutes=61)  # the first report is now more than an hour old
    await store.report(issue(later), since=later - HOUR, most=3)
    await store.report(issue(later), since=later - HOUR, most=0)  # 0: no limit
    assert (await store.issues("p1")).total == 3 + 1 + 1 + 1


async def test_a_rater_over_the_limit_is_refused_for_that_hour(store: FeedbackStore) -> None:
    for n in range(3):
        at = T0 + timedelta(minutes=n)
        await store.rate(rating(at, n + 1), since=at - HOUR, most=3)
    now = T0 + timedelta(minutes=10)
    with pytest.raises(RateLimited):
        await store.rate(rating(now, 5), since=now - HOUR, most=3)
    assert [r.stars for r in (await store.ratings("p1")).items] == [3]  # unchanged
    later = T0 + timedelta(minutes=61)  # a new window starts
    stored, _ = await store.rate(rating(later, 5), since=later - HOUR, most=3)
    assert stored.stars == 5


async def test_concurrent_reports_do_not_slip_past_the_limit(store: FeedbackStore) -> None:
    results = await asyncio.gather(
        *(store.report(issue(T0), since=T0 - HOUR, most=4) for _ in range(12)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, RateLimited)]
    assert len(refused) == 12 - 4, results
    assert (await store.issues("p1")).total == 4


@pytest.mark.parametrize(
    "text",
    [
        "'); DROP TABLE feedback_issues; --",
        "x' OR '1'='1",
        "%s %(x)s ? $1 \\' \"",
        "<script>alert(1)</script>",
    ],
)
async def test_text_is_kept_verbatim(store: FeedbackStore, text: str) -> None:
    await store.report(issue(T0, text=text), since=T0 - HOUR, most=10)
    await store.rate(rating(T0, 3, comment=text), since=T0 - HOUR, most=10)
    assert [i.text for i in (await store.issues("p1")).items] == [text]
    assert [r.comment for r in (await store.ratings("p1")).items] == [text]
    await store.report(issue(T0, text="still here"), since=T0 - HOUR, most=10)
    assert (await store.issues("p1")).total == 2


async def test_its_tables_have_their_own_version_beside_the_registry(url: str) -> None:
    registry = await open_registry(url)
    store = await open_feedback_store(url)
    await store.report(issue(T0), since=T0 - HOUR, most=10)
    await store.close()
    await registry.close()
    again = await open_feedback_store(url)  # reopening migrates nothing, keeps rows
    try:
        assert (await again.issues("p1")).total == 1
    finally:
        await again.close()


async def test_two_gateways_on_one_database_share_the_limit(url: str) -> None:
    one, two = await open_feedback_store(url), await open_feedback_store(url)
    try:
        results = await asyncio.gather(
            *((one, two)[n % 2].report(issue(T0), since=T0 - HOUR, most=4) for n in range(12)),
            return_exceptions=True,
        )
        assert [type(r) for r in results].count(RateLimited) == 12 - 4, results
        assert (await one.issues("p1")).total == 4
    finally:
        await one.close()
        await two.close()


@pytest.mark.parametrize("row_id", [2**63, 10**30, -1])
async def test_a_made_up_cursor_with_an_impossible_id_is_a_bad_request(
    store: FeedbackStore, row_id: int
) -> None:
    from gateway import time_cursors

    for prefix, read in (("issue:", store.issues), ("rating:", store.ratings)):
        with pytest.raises(BadRequest):
            await read("p1", after=time_cursors.encode(prefix, T0, row_id))
