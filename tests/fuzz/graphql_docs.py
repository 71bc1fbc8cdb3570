"""Hypothesis strategies for GraphQL requests to the gateway, valid and not.

Documents are built from the committed SDL (``schema/schema.graphql``, read with
graphql-core), so they follow the schema as it grows: random selections with arguments
of every type (``sql`` and ``explainSql`` get statements from the SQL grammar), deep
nesting through the product graph, many aliases, fragments (cycles too), huge strings,
variables of odd types, and bodies that are not GraphQL requests at all. Mutations are
left out on purpose: the registry's doors have their own tests, and a fuzzed
``registerProduct`` would make the gateway fetch arbitrary URLs and an
``unregisterProduct`` would empty the mesh the other examples need.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    build_schema,
)
from hypothesis import strategies as st

from tests.fuzz.sql_grammar import chance, statements

SDL = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"
PRODUCT_IDS = [
    "precipitation.us-precipitation", "PRECIPITATION.US-PRECIPITATION", "flood.flood-areas",
    "physical-risk.physical-risk", "8d3d0c19-2d64-4089-b24a-b39521a7a924", "nope.nope", "",
    "../../etc/passwd", "http://169.254.169.254/latest/meta-data/",
]  # fmt: skip
STRINGS = ["", "x", "rain", "flood risk", "\u0000", "\ud7ff\ue000", "' OR 1=1 --", "%",
           "{{7*7}}", "a" * 1000, "\U0001f600" * 50]  # fmt: skip


@cache
def schema() -> GraphQLSchema:
    return build_schema(SDL.read_text())


def _named(type_: Any) -> Any:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    return type_


@st.composite
def value(draw: st.DrawFn, type_: Any, name: str = "", depth: int = 0) -> Any:
    """A Python value for an argument of ``type_`` (sometimes of the wrong type)."""
    if chance(draw, 5):  # the wrong type, or null for a non-null argument
        return draw(st.sampled_from([None, 1, "x", True, 1.5, [], {}, 2**53, -(2**31) - 1]))
    if isinstance(type_, GraphQLNonNull):
        return draw(value(type_.of_type, name, depth))
    if isinstance(type_, GraphQLList):
        return [draw(value(type_.of_type, name, depth + 1)) for _ in range(draw(st.integers(0, 3)))]
    if isinstance(type_, GraphQLEnumType):
        return draw(st.sampled_from([*type_.values, "NOT_A_VALUE"]))
    if isinstance(type_, GraphQLInputObjectType):
        if depth > 2:
            return {}
        return {n: draw(value(f.type, n, depth + 1)) for n, f in type_.fields.items()
                if draw(st.booleans())}  # fmt: skip
    scalar = type_.name if isinstance(type_, GraphQLScalarType) else ""
    if name == "query":
        return draw(statements())
    if scalar == "Int":
        return draw(st.one_of(st.integers(-5, 120), st.integers(-(2**31), 2**31 - 1)))
    if scalar == "Float":
        return draw(st.floats(allow_nan=False, allow_infinity=False))
    if scalar == "Boolean":
        return draw(st.booleans())
    if scalar == "ID" or name in ("id", "productId"):
        return draw(st.sampled_from(PRODUCT_IDS))
    if chance(draw, 3):
        return "\u00e9" * draw(st.integers(10_000, 100_000))  # a huge string
    return draw(st.one_of(st.sampled_from(STRINGS), st.text(max_size=40)))


def literal(v: Any) -> str:
    """``v`` written as a GraphQL literal (enum names as bare words)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(literal(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {literal(x)}" for k, x in v.items()) + "}"
    return json.dumps(str(v))


class Variables:
    """The variables a document declares and the values sent for them."""

    def __init__(self) -> None:
        self.declared: list[str] = []
        self.values: dict[str, Any] = {}


@st.composite
def arguments(draw: st.DrawFn, field: GraphQLField, variables: Variables) -> str:
    parts = []
    for name, arg in field.args.items():
        if not isinstance(arg.type, GraphQLNonNull) and not chance(draw, 40):
            continue
        if isinstance(_named(arg.type), GraphQLEnumType) and not chance(draw, 50):
            parts.append(f"{name}: {draw(st.sampled_from(list(_named(arg.type).values)))}")
            continue
        v = draw(value(arg.type, name))
        if chance(draw, 40):  # through a variable, maybe of another declared type
            var = f"v{len(variables.declared)}"
            declared = (
                str(arg.type)
                if chance(draw, 90)
                else draw(st.sampled_from(["Int", "String!", "[ID]", "Boolean", "JSON", "Nope"]))
            )
            variables.declared.append(f"${var}: {declared}")
            variables.values[var] = v
            parts.append(f"{name}: ${var}")
        elif isinstance(v, str) and isinstance(_named(arg.type), GraphQLEnumType):
            parts.append(f"{name}: {v}")
        else:
            parts.append(f"{name}: {literal(v)}")
    return f"({', '.join(parts)})" if parts else ""


@st.composite
def selection(draw: st.DrawFn, type_: GraphQLObjectType, depth: int, variables: Variables) -> str:
    """A selection set on ``type_``: one to four fields, nested ``depth`` levels at most."""
    fields = list(type_.fields.items())
    leaves = [(n, f) for n, f in fields if not isinstance(_named(f.type), GraphQLObjectType)]
    pool = fields if depth > 0 else leaves
    if not pool:
        return "{ __typename }"
    chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4))
    out = []
    for i, (name, field) in enumerate(chosen):
        alias = f"a{i}: " if chance(draw, 30) else ""
        text = f"{alias}{name}{draw(arguments(field, variables))}"
        inner = _named(field.type)
        if isinstance(inner, GraphQLObjectType):
            text += " " + draw(selection(inner, depth - 1, variables))
        out.append(text)
    if chance(draw, 10):
        out.append("__typename")
    return "{ " + " ".join(out) + " }"


def _request(query: str, variables: Variables | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"query": query}
    if variables is not None and variables.values:
        body["variables"] = variables.values
    return body


@st.composite
def random_query(draw: st.DrawFn) -> dict[str, Any]:
    variables = Variables()
    root = schema().query_type
    assert root is not None
    body = draw(selection(root, draw(st.integers(1, 4)), variables))
    head = f"query Q({', '.join(variables.declared)})" if variables.declared else "query Q"
    return _request(f"{head} {body}", variables)


@st.composite
def deep_query(draw: st.DrawFn) -> dict[str, Any]:
    """The product graph walked back and forth: port -> product -> port ..."""
    levels = draw(st.integers(1, 40))
    nested = "id"
    for _ in range(levels):
        nested = f"versions {{ outputPorts {{ product {{ {nested} }} }} }}"
    pid = draw(st.sampled_from(PRODUCT_IDS))
    return _request(f"{{ product(id: {json.dumps(pid)}) {{ {nested} }} }}")


@st.composite
def many_aliases(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(20, 400))
    field = draw(st.sampled_from([
        "domains { name }", "products(first: 100) { totalCount }",
        'search(text: "rain") { score }',
        'sql(query: "SELECT 1 AS one", maxRows: 1) { rowCount }', "__typename",
        'product(id: "flood.flood-areas") { name }',
    ]))  # fmt: skip
    return _request("{ " + " ".join(f"a{i}: {field}" for i in range(count)) + " }")


@st.composite
def fragments(draw: st.DrawFn) -> dict[str, Any]:
    shape = draw(st.sampled_from(["cycle", "self", "chain", "unknown", "wrong-type", "ok"]))
    if shape == "cycle":
        doc = ("query { ...A } fragment A on Query { domains { name } ...B } "
               "fragment B on Query { ...A }")  # fmt: skip
    elif shape == "self":
        doc = "query { ...A } fragment A on Query { ...A }"
    elif shape == "chain":
        n = draw(st.integers(2, 200))
        doc = (
            "query { ...F0 } "
            + " ".join(
                f"fragment F{i} on Query {{ domains {{ name }} ...F{i + 1} }}" for i in range(n)
            )
            + f" fragment F{n} on Query {{ __typename }}"
        )
    elif shape == "unknown":
        doc = "query { ...Nope }"
    elif shape == "wrong-type":
        doc = "query { ...P } fragment P on Product { name }"
    else:
        doc = ("query { products(first: 2) { edges { node { ...P } } } } "
               "fragment P on Product { name domain outputPorts { contractId } }")  # fmt: skip
    return _request(doc)


@st.composite
def odd_body(draw: st.DrawFn) -> Any:
    """A JSON body that is not a well-formed GraphQL request."""
    return draw(st.sampled_from([
        {}, {"query": None}, {"query": 1}, {"query": ["{ domains { name } }"]},
        {"query": "{ domains { name } }", "variables": "x"},
        {"query": "{ domains { name } }", "variables": [1]},
        {"query": "{ domains { name } }", "operationName": "Nope"},
        {"query": "query A { domains { name } } query B { __typename }"},
        {"query": "mutation { nope }"}, {"query": "subscription { nope }"},
        {"query": "{"}, {"query": "{ " + "{" * 5000 + " }"}, {"query": "\u0000"},
        {"query": "{ domains { name } }", "extensions": {"persistedQuery": {"sha256Hash": "x"}}},
        [], [{"query": "{ domains { name } }"}] * 3, "string", 1, None,
        {"query": '{ sql(query: "SELECT 1", maxRows: 99999999999) { rowCount } }'},
        {"query": "{ sql(query: $q) { rowCount } }", "variables": {"q": "SELECT 1"}},
        {"query": "query($q: String!) { sql(query: $q) { rowCount } }", "variables": {}},
        {"query": "query($q: String!) { sql(query: $q) { rowCount } }",
         "variables": {"q": {"nested": ["x"]}}},
        {"query": "{ __schema { types { name fields { name type { name ofType { name } } } } } }"},
        {"query": "{ products(first: -1) { totalCount } }"},
        {"query": "{ products(first: 2147483648) { totalCount } }"},
        {"query": '{ products(first: 1, after: "!!!notacursor") { totalCount } }'},
        {"query": '{ sql(query: "SELECT 1", after: "bm90IGEgY3Vyc29y") { rowCount } }'},
    ]))  # fmt: skip


def requests() -> st.SearchStrategy[Any]:
    """Every kind of request body the fuzz POSTs."""
    return st.one_of(
        random_query(), random_query(), random_query(), deep_query(), many_aliases(),
        fragments(), odd_body(),
    )  # fmt: skip
