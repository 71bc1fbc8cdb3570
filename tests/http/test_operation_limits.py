"""Holes 7 and 9 on the graph: variables have a size cap, an operation a cost (lists,
``sql`` fields, fragments and aliases counted) and a cap on ``sql`` fields and root
fields, all judged before anything runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from graphql import parse

from schema.build import build_schema
from schema.cost import Cost, operation_cost
from tests.http.conftest import without_request_id

SCHEMA = build_schema()._schema


def post(
    gateway: str, admin: dict[str, str], query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    answer = httpx.post(
        f"{gateway}/graphql",
        json={"query": query, "variables": variables},
        headers=admin,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    assert body["data"] is None, "a refused operation runs nothing"
    (error,) = body["errors"]
    found: dict[str, Any] = {**error, "extensions": without_request_id(error["extensions"])}
    return found


def test_30_aliased_sql_fields_are_refused_before_running(
    gateway: str, admin: dict[str, str]
) -> None:
    fields = " ".join(f's{i}: sql(query: "select 1") {{ rowCount }}' for i in range(30))
    error = refusal(post(gateway, admin, "{ " + fields + " }"))
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "sqlFields": 30, "maxSqlFields": 3}
    assert error["message"] == (
        "the operation has 30 sql/explainSql fields; at most 3 are accepted per request"
    )


def test_sql_fields_hidden_in_fragments_are_counted(gateway: str, admin: dict[str, str]) -> None:
    document = """
      fragment Two on Query { a: sql(query: "select 1") { rowCount } b: explainSql(query: "1") }
      fragment Four on Query { ...Two c: sql(query: "2") { rowCount } d: explainSql(query: "x") }
      { ...Four }
    """
    error = refusal(post(gateway, admin, document))
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["sqlFields"] == 4


def test_three_sql_fields_are_accepted(gateway: str, admin: dict[str, str]) -> None:
    fields = " ".join(f's{i}: explainSql(query: "select 1")' for i in range(3))
    body = post(gateway, admin, "{ " + fields + " }")
    assert all(e["extensions"]["code"] != "QUERY_TOO_COSTLY" for e in body.get("errors", []))


DEEP = """fragment Deep on ProductConnection {
  edges { node { name versions { outputPorts { contract {
    name schema { properties { name } } } } } } }
}"""
# products(first: 100) { ...Deep }, by the rules of docs/security.md:
#   properties item 1, schema item 1 + 1 = 2 (lists in a contract count once),
#   contract 1 + 2 = 3 and the port 1 + 3 = 4, outputPorts 5 x 4 = 20,
#   a version 1 + 20 = 21, versions 5 x 21 = 105, node 1 + 105 = 106, edge 1 + 106 = 107,
#   edges 100 x 107 = 10,700, the connection 1 + 10,700 = 10,701.
ONE_PAGE = 10_701


def test_a_fragment_spread_under_15_aliases_costs_15_times(
    gateway: str, admin: dict[str, str]
) -> None:
    pages = " ".join(f"p{i}: products(first: 100) {{ ...Deep }}" for i in range(15))
    error = refusal(post(gateway, admin, DEEP + "\n{ " + pages + " }"))
    assert error["extensions"] == {
        "code": "QUERY_TOO_COSTLY",
        "cost": 15 * ONE_PAGE,
        "maxCost": 20_000,
    }
    assert error["message"].startswith(f"the operation costs {15 * ONE_PAGE}; at most 20000")


def test_one_such_page_is_accepted(gateway: str, admin: dict[str, str]) -> None:
    body = post(gateway, admin, DEEP + "\n{ products(first: 100) { ...Deep } }")
    assert body == {"data": {"products": {"edges": []}}}


def test_first_from_a_variable_counts(gateway: str, admin: dict[str, str]) -> None:
    operation = (
        "query($n: Int!) { a: products(first: $n) { ...Deep } b: products(first: $n) { ...Deep } }"
    )
    query = DEEP + "\n" + operation
    assert post(gateway, admin, query, {"n": 90}) == {
        "data": {"a": {"edges": []}, "b": {"edges": []}}
    }
    error = refusal(post(gateway, admin, query, {"n": 100}))
    assert error["extensions"]["cost"] == 2 * ONE_PAGE


def test_too_many_root_fields_are_refused(gateway: str, admin: dict[str, str]) -> None:
    fields = " ".join(f"d{i}: domains {{ name }}" for i in range(21))
    error = refusal(post(gateway, admin, "{ " + fields + " }"))
    assert error["extensions"] == {
        "code": "TOO_MANY_ROOT_FIELDS",
        "rootFields": 21,
        "maxRootFields": 20,
    }


def test_one_mb_of_variables_is_refused(
    start_gateway: Callable[..., str], admin: dict[str, str]
) -> None:
    # A body cap above 1 MB, so the variables cap is what refuses.
    gateway = start_gateway(max_body_bytes=4 * 1024 * 1024)
    big = "x" * (1024 * 1024)
    error = refusal(post(gateway, admin, "query($t: ID!) { product(id: $t) { key } }", {"t": big}))
    assert error["extensions"] == {
        "code": "VARIABLES_TOO_LARGE",
        "size": len(big) + len('{"t":""}'),
        "maxBytes": 524_288,
    }


def test_one_mb_of_variables_is_over_the_default_body_cap(
    gateway: str, admin: dict[str, str]
) -> None:
    answer = httpx.post(
        f"{gateway}/graphql",
        json={"query": "{ domains { name } }", "variables": {"t": "x" * 1024 * 1024}},
        headers=admin,
        timeout=30,
    )
    assert answer.status_code == 413


def test_small_variables_pass(gateway: str, admin: dict[str, str]) -> None:
    body = post(gateway, admin, "query($t: ID!) { product(id: $t) { key } }", {"t": "x" * 400_000})
    assert body == {"data": {"product": None}}


def test_the_readme_query_is_under_the_default_cost() -> None:
    readme = """{ products(first: 50) { totalCount edges { node { id name domain owner
      versions { version outputPorts { contract { schema { name
        properties { name logicalType quality { dimension } } } } } } } } } }"""
    # node: 1 + versions 5 x (1 + outputPorts 5 x (1 + contract (1 + schema (1 + properties
    # (1 + quality 1))))) = 1 + 5 x (1 + 5 x 5) = 131; 50 edges x 132 + 1.
    assert operation_cost(SCHEMA, parse(readme)) == Cost(50 * 132 + 1, 0, 1)


def test_search_and_sql_cost_their_work() -> None:
    document = parse(
        '{ search(text: "rain", first: 10) { product { key } } sql(query: "x") { rowCount } }'
    )
    # search: 50 once + 10 hits x (1 + product 1); sql: 100 once + its result object 1.
    assert operation_cost(SCHEMA, document) == Cost(50 + 10 * 2 + 100 + 1, 1, 2)


def test_first_beyond_the_page_size_counts_as_the_page_size() -> None:
    # The field refuses first > max_page_size itself (BAD_REQUEST), with its own message.
    document = parse("{ products(first: 1000) { edges { node { name } } } }")
    assert operation_cost(SCHEMA, document, max_page_size=100).total == 1 + 100 * 2


def test_nested_fragments_are_costed_in_linear_time() -> None:
    # Each fragment spreads the previous one twice, under two aliases: 2**40 domains lists.
    parts = ["fragment F0 on Query { domains { name } }"]
    for i in range(1, 41):
        parts.append(
            f'fragment F{i} on Query {{ a{i}: product(id: "x") {{ __typename }} ...F{i - 1} '
            f'b{i}: product(id: "y") {{ __typename }} ...F{i - 1} }}'
        )
    parts.append("{ ...F40 }")
    started = time.perf_counter()
    cost = operation_cost(SCHEMA, parse("\n".join(parts)))
    assert time.perf_counter() - started < 1.0
    assert cost.total > 2**40


def test_the_example_of_the_security_page() -> None:
    document = parse(
        "{ products(first: 100) { edges { node { name versions { outputPorts {"
        " contract { name } } } } } } }"
    )
    assert operation_cost(SCHEMA, document).total == 1 + 100 * (1 + 1 + 5 * (1 + 5 * 2))


def test_introspection_is_cheap() -> None:
    document = parse("{ __schema { types { name fields { name args { name } } } } }")
    assert operation_cost(SCHEMA, document) == Cost(1, 0, 1)


def test_documents_validation_refuses_are_costed_without_failing() -> None:
    # The cost runs next to validation: cycles, unknown types and fields cost nothing.
    cycle = "fragment A on Query { ...B domains { name } } fragment B on Query { ...A } { ...A }"
    assert operation_cost(SCHEMA, parse(cycle)) == Cost(5, 0, 1)
    unknown = "fragment U on Nope { x } { ...U ... on Nada { y } nothing { z } }"
    assert operation_cost(SCHEMA, parse(unknown)) == Cost(0, 0, 3)


def test_an_invalid_document_gets_its_validation_errors(
    gateway: str, admin: dict[str, str]
) -> None:
    body = post(gateway, admin, "{ nothing { z } }")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
