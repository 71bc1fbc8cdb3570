"""The nesting measure agrees with the documents themselves, and the decoder refuses what
would make the parser recurse without bound."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.upstream.jsondoc import MAX_DEPTH, NotJson, decode, nesting_depth

# Text full of the characters the measure must see through: brackets, quotes, escapes.
TRICKY = st.text(alphabet='[]{}"\\/\n\t\x00é😀 ab', max_size=12)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TRICKY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY, inner, max_size=4),
    max_leaves=40,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@settings(max_examples=400, deadline=None)
@given(VALUES, st.booleans())
def test_the_measure_is_the_documents_depth(value: Any, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert nesting_depth(body, 1000) == depth(value)
    assert decode(body) == value


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # RecursionError in json.loads, before
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b"[" * 100_000,  # never closed: the parser would still recurse
        b'["' + b"x" * 10 + b'", ' + b"[" * 200 + b"]" * 200 + b"]",
    ],
)
def test_too_deep_is_refused_before_parsing(body: bytes) -> None:
    with pytest.raises(NotJson, match=f"^nested deeper than {MAX_DEPTH} levels$"):
        decode(body)


def test_the_limit_is_exact() -> None:
    assert decode(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(NotJson, match="nested deeper"):
        decode(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))


def test_brackets_in_strings_do_not_count() -> None:
    inside = json.dumps({"a": "[" * 10_000 + '\\"' + "{" * 10_000}).encode()
    assert nesting_depth(inside, MAX_DEPTH) == 1
    assert decode(inside)["a"].startswith("[[[")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff\xfe[]", "not UTF-8"),
        (b"<html>", "not JSON: Expecting value at char 0"),
        (b"", "not JSON: Expecting value at char 0"),
    ],
)
def test_other_garbage_is_not_json(body: bytes, reason: str) -> None:
    with pytest.raises(NotJson) as raised:
        decode(body)
    assert raised.value.reason == reason
