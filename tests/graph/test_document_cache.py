"""The parse and validation cache (schema/document_cache.py): a text found valid once is
not validated again, but what depends on the request (variables, transport) is judged
on every request, and the cache stays bounded whatever texts callers send."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from gateway.settings import Settings
from schema.build import build_schema
from schema.document_cache import KnownDocuments

PAGE = (
    "products(first: $n) { edges { node { versions { outputPorts "
    "{ contract { name schema { properties { name } } } } } } } }"
)
# Two pages of 100 cost 2 x 10,701 (tests/http/test_operation_limits.py), over 20,000.
COSTLY = f"query Q($n: Int) {{ a: {PAGE} b: {PAGE} }}"


def run(known: KnownDocuments, text: str, variables: dict[str, Any] | None = None,
        transport: str = "http") -> list[dict[str, Any]]:  # fmt: skip
    """The errors' extensions of one execution (no services: only validation matters)."""
    schema = build_schema(Settings(), known)
    context = SimpleNamespace(request=SimpleNamespace(scope={"type": transport}), warnings=[])
    result = asyncio.run(schema.execute(text, variable_values=variables, context_value=context))
    return [dict(e.extensions or {}) for e in result.errors or []]


def codes(errors: list[dict[str, Any]]) -> list[str]:
    return [str(e.get("code")) for e in errors]


def test_a_valid_text_is_remembered_and_an_invalid_one_is_not() -> None:
    known = KnownDocuments()
    run(known, "{ __typename }")
    assert known.is_valid("{ __typename }")
    assert codes(run(known, "{ nope }")) == ["GRAPHQL_VALIDATION_FAILED"]
    assert not known.is_valid("{ nope }")
    # Still refused the second time: nothing about it was remembered as valid.
    assert codes(run(known, "{ nope }")) == ["GRAPHQL_VALIDATION_FAILED"]


def test_the_cost_of_a_known_text_is_judged_with_each_request_s_variables() -> None:
    known = KnownDocuments()
    assert "QUERY_TOO_COSTLY" not in codes(run(known, COSTLY, {"n": 1}))
    assert known.is_valid(COSTLY)
    assert codes(run(known, COSTLY, {"n": 100})) == ["QUERY_TOO_COSTLY"]


def test_huge_variables_on_a_known_text_are_refused() -> None:
    known = KnownDocuments()
    text = "query Q($t: String!) { __type(name: $t) { name } }"
    assert run(known, text, {"t": "Product"}) == []
    assert known.is_valid(text)
    assert codes(run(known, text, {"t": "x" * 600_000})) == ["VARIABLES_TOO_LARGE"]


def subscribe_over_websocket(known: KnownDocuments, text: str) -> None:
    """Start ``text`` as a subscription over a WebSocket (and end it at once)."""

    async def start() -> None:
        schema = build_schema(Settings(), known)
        scope = {"type": "websocket"}
        context = SimpleNamespace(request=SimpleNamespace(scope=scope), warnings=[])
        started = await schema.subscribe(text, context_value=context)
        # Validation runs with the first item (here the resolver's error: no services).
        await asyncio.wait_for(anext(started), 10)  # type: ignore[call-overload]

    asyncio.run(start())


def test_a_subscription_known_from_the_websocket_is_still_refused_over_http() -> None:
    known = KnownDocuments()
    text = 'subscription { productEvents(products: ["p"]) { kind } }'
    subscribe_over_websocket(known, text)
    assert known.is_valid(text)  # validated over the WebSocket, where it belongs
    assert codes(run(known, text, transport="http")) == ["WRONG_TRANSPORT"]


def test_the_cache_is_bounded_in_entries_and_text_size() -> None:
    known = KnownDocuments(max_entries=5, max_text_bytes=200)
    for i in range(50):
        known.parse(f"{{ a{i}: __typename }}")
    assert len(known) == 5
    long_text = "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }"
    known.parse(long_text)
    known.mark_valid(long_text)
    assert len(known) == 5 and not known.is_valid(long_text)


def test_a_spread_of_an_undefined_fragment_is_refused_every_time_and_never_kept() -> None:
    known = KnownDocuments()
    text = "query { ...Nope __typename }"
    for _ in range(2):  # the second time as the first: nothing of it was kept
        assert codes(run(known, text)) == ["GRAPHQL_VALIDATION_FAILED"]
        assert len(known) == 0 and not known.is_valid(text)
