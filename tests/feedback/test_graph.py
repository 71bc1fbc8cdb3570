"""Feedback through the graph of a real gateway over two demo product gateways: report and
rate then read back on the product, who sees whose name, and the hostile caller's tries
(anonymous, unknown or unregistered product, bad stars, huge or hostile text, a flood)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import parse

from schema.build import build_schema
from schema.cost import Cost, operation_cost
from tests.graph.conftest import DEMO, Mesh, start_mesh

US = "precipitation.us-precipitation"
FRANCE = "precipitation.france-precipitation"
OWNER_ROLES = ("owner:precipitation",)
ISSUES_PER_HOUR = 3
RATINGS_PER_HOUR = 4

REPORT = """mutation($p: ID!, $t: String!, $s: IssueSeverity!) {
  reportIssue(product: $p, text: $t, severity: $s) {
    id productId severity text status createdAt reporter cursor } }"""
RATE = """mutation($p: ID!, $n: Int!, $c: String) {
  rateProduct(product: $p, stars: $n, comment: $c) {
    productId stars comment createdAt updatedAt rater } }"""
FEEDBACK = """query($p: ID!, $first: Int = 20, $after: String, $s: IssueSeverity) {
  product(id: $p) { id feedback {
    rating { average count distribution { stars count } }
    ratings(first: $first) { totalCount nodes { stars comment rater }
      pageInfo { hasNextPage endCursor } }
    issues(first: $first, after: $after, severity: $s) { totalCount
      nodes { id severity text status reporter }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }"""
SUMMARY = "query($p: ID!) { product(id: $p) { feedback { rating { count average } } } }"


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    dirs = [DEMO / "us-precipitation", DEMO / "france-precipitation"]
    with start_mesh(
        tmp_path_factory.mktemp("feedback"), dirs,
        feedback_max_issues_per_hour=ISSUES_PER_HOUR,
        feedback_max_ratings_per_hour=RATINGS_PER_HOUR,
    ) as started:  # fmt: skip
        yield started


def as_user(mesh: Mesh, subject: str, roles: tuple[str, ...] = ()) -> dict[str, str]:
    assert mesh.issuer is not None
    return mesh.issuer.headers(subject, roles)


def post(mesh: Mesh, query: str, variables: dict[str, Any], who: dict[str, str]) -> dict[str, Any]:
    """Like ``mesh.query``, the body written as ASCII JSON (``\\uXXXX`` escapes), as a
    client may: the only way to send a lone surrogate."""
    answer = httpx.post(
        f"{mesh.gateway}/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={**who, "content-type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def report(
    mesh: Mesh, who: dict[str, str], text: str, *, product: str = US, severity: str = "HIGH"
) -> dict[str, Any]:
    return post(mesh, REPORT, {"p": product, "t": text, "s": severity}, who)


def rate(
    mesh: Mesh, who: dict[str, str], stars: int, comment: str | None = None,
    *, product: str = US,
) -> dict[str, Any]:  # fmt: skip
    return post(mesh, RATE, {"p": product, "n": stars, "c": comment}, who)


def feedback(mesh: Mesh, who: dict[str, str], product: str = US, **more: Any) -> dict[str, Any]:
    answer = mesh.query(FEEDBACK, {"p": product, **more}, headers=who)
    assert "errors" not in answer, answer
    found: dict[str, Any] = answer["data"]["product"]["feedback"]
    return found


def refusal(answer: dict[str, Any]) -> dict[str, Any]:
    """The one error of a refused answer (its extensions), which stored nothing."""
    assert answer.get("data") is None, answer
    [error] = answer["errors"]
    extensions: dict[str, Any] = error["extensions"]
    return extensions


def test_a_report_and_a_rating_are_read_back_on_the_product(mesh: Mesh) -> None:
    ana = as_user(mesh, "ana@example.org")
    text = "Rainfall for 2024-03 is missing in the daily table.\nSince Monday."
    reported = report(mesh, ana, text, severity="CRITICAL")
    assert "errors" not in reported, reported
    issue = reported["data"]["reportIssue"]
    assert (issue["severity"], issue["text"], issue["status"], issue["reporter"]) == (
        "CRITICAL", text, "OPEN", "ana@example.org",
    )  # fmt: skip
    rated = rate(mesh, ana, 4, "useful, a bit late")
    assert rated["data"]["rateProduct"]["stars"] == 4, rated

    # The owner of the product's domain sees what was said and who said it.
    seen = feedback(mesh, as_user(mesh, "olga", OWNER_ROLES), FRANCE)
    assert seen["issues"]["totalCount"] == 0  # nothing on the other product
    seen = feedback(mesh, as_user(mesh, "olga", OWNER_ROLES), s="CRITICAL")
    mine = [i for i in seen["issues"]["nodes"] if i["id"] == issue["id"]]
    assert mine == [{"id": issue["id"], "severity": "CRITICAL", "text": text, "status": "OPEN",
                     "reporter": "ana@example.org"}]  # fmt: skip
    assert {"stars": 4, "comment": "useful, a bit late", "rater": "ana@example.org"} in seen[
        "ratings"
    ]["nodes"]
    # Another consumer (and an owner of another domain) reads the text, not the name.
    for other in (as_user(mesh, "bo"), as_user(mesh, "flo", ("owner:flood",))):
        seen = feedback(mesh, other)
        [node] = [i for i in seen["issues"]["nodes"] if i["id"] == issue["id"]]
        assert (node["text"], node["reporter"]) == (text, None)
        assert all(r["rater"] is None for r in seen["ratings"]["nodes"])
    # The reporter sees their own name.
    seen = feedback(mesh, ana)
    assert [i["reporter"] for i in seen["issues"]["nodes"] if i["id"] == issue["id"]] == [
        "ana@example.org"
    ]


def test_rating_again_replaces_and_the_summary_is_computed_from_the_ratings(mesh: Mesh) -> None:
    given = {"r1": 5, "r2": 4, "r3": 4, "r4": 1, "r5": 2}
    for who, stars in given.items():
        first = rate(mesh, as_user(mesh, who), 3, product=FRANCE, comment="first go")
        assert "errors" not in first, first
        again = rate(mesh, as_user(mesh, who), stars, product=FRANCE)
        assert again["data"]["rateProduct"]["stars"] == stars, again
        answer = again["data"]["rateProduct"]
        assert answer["comment"] is None and answer["createdAt"] == first["data"][
            "rateProduct"]["createdAt"]  # fmt: skip
    seen = feedback(mesh, as_user(mesh, "olga", OWNER_ROLES), FRANCE)
    counts = Counter(given.values())
    assert seen["rating"] == {
        "count": len(given),
        "average": pytest.approx(sum(given.values()) / len(given)),
        "distribution": [{"stars": s, "count": counts.get(s, 0)} for s in range(1, 6)],
    }
    assert seen["ratings"]["totalCount"] == len(given)
    assert sorted(r["rater"] for r in seen["ratings"]["nodes"]) == sorted(given)


def test_a_blank_comment_is_no_comment(mesh: Mesh) -> None:
    answer = rate(mesh, as_user(mesh, "blank-comment"), 3, " \n ")
    assert answer["data"]["rateProduct"]["comment"] is None, answer


def test_issues_are_paged_newest_first(mesh: Mesh) -> None:
    texts = [f"page test {n}" for n in range(3)]
    for n, text in enumerate(texts):
        assert "errors" not in report(mesh, as_user(mesh, f"pager{n}"), text, severity="LOW")
    admin = mesh.headers
    first = feedback(mesh, admin, first=2, s="LOW")["issues"]
    assert [i["text"] for i in first["nodes"]] == texts[::-1][:2]
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    rest = feedback(mesh, admin, first=2, s="LOW", after=first["pageInfo"]["endCursor"])
    assert [i["text"] for i in rest["issues"]["nodes"]] == texts[:1]
    assert rest["issues"]["pageInfo"]["hasPreviousPage"]
    bad = mesh.query(FEEDBACK, {"p": US, "after": "bm9wZQ=="})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_an_anonymous_caller_may_not_report_rate_or_read_what_people_wrote(mesh: Mesh) -> None:
    assert refusal(report(mesh, {}, "anonymous"))["code"] == "UNAUTHENTICATED"
    assert refusal(rate(mesh, {}, 1))["code"] == "UNAUTHENTICATED"
    # Even on a product that does not exist: nothing is learned before signing in.
    assert refusal(report(mesh, {}, "x", product="no.such"))["code"] == "UNAUTHENTICATED"
    for field in ("issues", "ratings"):
        query = (
            f"query($p: ID!) {{ product(id: $p) {{ feedback {{ {field} {{ totalCount }} }} }} }}"
        )
        [error] = mesh.query(query, {"p": US}, headers={})["errors"]
        assert (error["path"][-1], error["extensions"]["code"]) == (field, "UNAUTHENTICATED")
    # The rating summary is a fact about the product, like its description.
    summary = mesh.query(SUMMARY, {"p": US}, headers={})
    assert "errors" not in summary and summary["data"]["product"]["feedback"]["rating"]


def test_an_unknown_or_unregistered_product_is_refused(mesh: Mesh) -> None:
    ana = as_user(mesh, "ana-unknown")
    for missing in ("no.such", "00000000-0000-0000-0000-000000000000"):
        assert refusal(report(mesh, ana, "x", product=missing))["code"] == "PRODUCT_NOT_FOUND"
        assert refusal(rate(mesh, ana, 3, product=missing))["code"] == "PRODUCT_NOT_FOUND"
    gone = mesh.query("mutation($p: ID!) { unregisterProduct(id: $p) { id } }", {"p": FRANCE})
    assert "errors" not in gone, gone
    try:
        assert refusal(report(mesh, ana, "x", product=FRANCE))["code"] == "PRODUCT_NOT_FOUND"
        assert refusal(rate(mesh, ana, 3, product=FRANCE))["code"] == "PRODUCT_NOT_FOUND"
    finally:
        back = httpx.post(
            f"{mesh.gateway}/registry/products",
            json={"url": f"{mesh.products['france-precipitation']}/discover/metadata"},
            headers=mesh.headers,
            timeout=30,
        )
        assert back.status_code == 201, back.text


@pytest.mark.parametrize("stars", [0, 6, -1, 2**31 - 1])
def test_stars_outside_one_to_five_are_refused(mesh: Mesh, stars: int) -> None:
    who = as_user(mesh, f"stars{stars}")
    extensions = refusal(rate(mesh, who, stars))
    assert (extensions["code"], extensions["argument"], extensions["reason"]) == (
        "BAD_REQUEST", "stars", "OUT_OF_RANGE",
    )  # fmt: skip
    ratings = feedback(mesh, mesh.headers)["ratings"]["nodes"]
    assert f"stars{stars}" not in [r["rater"] for r in ratings]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "EMPTY"),
        (" \n\t ", "EMPTY"),
        ("x" * 100_000, "TOO_LONG"),
        ("x" * 4001, "TOO_LONG"),
        ("bad\x00byte", "CONTROL_CHARACTER"),
        ("\x1b[2J\x1b[31mred alert", "CONTROL_CHARACTER"),
        ("C1 \x9b control", "CONTROL_CHARACTER"),
        ("invoice_\u202egnp.exe", "CONTROL_CHARACTER"),
        ("lone \ud800 surrogate", "CONTROL_CHARACTER"),
    ],
)
def test_bad_text_is_refused_with_its_reason(mesh: Mesh, text: str, reason: str) -> None:
    who = as_user(mesh, f"bad-text-{reason}")
    extensions = refusal(report(mesh, who, text))
    assert (extensions["code"], extensions["argument"], extensions["reason"]) == (
        "BAD_REQUEST", "text", reason,
    )  # fmt: skip
    extensions = refusal(rate(mesh, who, 3, comment=text)) if text.strip() else None
    if extensions is not None:
        assert (extensions["argument"], extensions["reason"]) == ("comment", reason)
    issues = feedback(mesh, mesh.headers)["issues"]["nodes"]
    assert f"bad-text-{reason}" not in [i["reporter"] for i in issues]


def test_text_at_the_limit_with_tabs_and_line_breaks_is_kept(mesh: Mesh) -> None:
    text = ("line\twith tab\r\n" * 400)[:4000]
    answer = report(mesh, as_user(mesh, "long-text"), text)
    assert answer["data"]["reportIssue"]["text"] == text, answer.get("errors")


@pytest.mark.parametrize(
    "text",
    [
        '<script>alert("owned")</script><img src=x onerror=alert(1)>',
        "'); DROP TABLE feedback_issues; --",
        "Robert'); DELETE FROM feedback_ratings WHERE ('1'='1",
        "{{7*7}} ${7*7} %s %(x)s",
    ],
)
def test_hostile_text_is_stored_and_answered_verbatim(mesh: Mesh, text: str) -> None:
    who = as_user(mesh, f"hostile-{abs(hash(text))}")
    reported = report(mesh, who, text, product=FRANCE)
    assert reported["data"]["reportIssue"]["text"] == text, reported
    assert rate(mesh, who, 2, text, product=FRANCE)["data"]["rateProduct"]["comment"] == text
    seen = feedback(mesh, mesh.headers, FRANCE, first=100)
    assert text in [i["text"] for i in seen["issues"]["nodes"]]
    assert text in [r["comment"] for r in seen["ratings"]["nodes"]]
    # The tables are still there and still answer.
    assert "errors" not in report(mesh, who, "still here", product=FRANCE)


def test_a_flood_of_reports_from_one_caller_is_refused(mesh: Mesh) -> None:
    flood = as_user(mesh, "flooder")
    for n in range(ISSUES_PER_HOUR):
        assert "errors" not in report(mesh, flood, f"flood {n}")
    refused = refusal(report(mesh, flood, "one too many"))
    assert (refused["code"], refused["limit"]) == ("RATE_LIMITED", ISSUES_PER_HOUR)
    # Others, and the same caller on another product, are not held back.
    assert "errors" not in report(mesh, as_user(mesh, "not-flooding"), "fine")
    assert "errors" not in report(mesh, flood, "elsewhere", product=FRANCE)
    texts = [i["text"] for i in feedback(mesh, mesh.headers, first=100)["issues"]["nodes"]]
    assert "one too many" not in texts


def test_a_flood_of_ratings_from_one_caller_is_refused(mesh: Mesh) -> None:
    flood = as_user(mesh, "rating-flooder")
    for n in range(RATINGS_PER_HOUR):
        assert "errors" not in rate(mesh, flood, 1 + n % 5)
    assert refusal(rate(mesh, flood, 5))["code"] == "RATE_LIMITED"
    ratings = feedback(mesh, mesh.headers, first=100)["ratings"]["nodes"]
    assert [r["stars"] for r in ratings if r["rater"] == "rating-flooder"] == [
        1 + (RATINGS_PER_HOUR - 1) % 5
    ]


def test_feedback_fields_are_costed() -> None:
    document = parse(
        "{ products(first: 10) { edges { node { feedback { rating { average "
        "distribution { stars count } } issues(first: 7) { totalCount nodes { text } } "
        "ratings(first: 3) { nodes { stars } } } } } } }"
    )
    # Per product: edge 1 + node 1 + feedback 1 + rating (2 + 1 + distribution 5 x 1)
    # + issues (2 + 1 + 7 x 1) + ratings (2 + 1 + 3 x 1); and the connection 1.
    per_product = 1 + 1 + 1 + (2 + 1 + 5) + (2 + 1 + 7) + (2 + 1 + 3)
    assert operation_cost(build_schema()._schema, document) == Cost(1 + 10 * per_product, 0, 1)
