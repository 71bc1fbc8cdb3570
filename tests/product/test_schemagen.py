"""JSON Schema from type hints (productkit.schemagen): each form of hint, once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, NotRequired, Required, TypedDict

import jsonschema
import pytest

from productkit.schemagen import Keywords, components, open_model, schema_of


class Inner(TypedDict):
    """An inner model."""

    n: int


class Outer(TypedDict):
    name: str
    ratio: float
    flag: bool
    nothing: None
    maybe: str | None
    kind: Literal["a", "b"]
    maybe_kind: Literal["a", "b"] | None
    inner: Inner
    maybe_inner: Inner | None
    items: list[Inner]
    pair: tuple[int, str]
    many: tuple[str, ...]
    counts: dict[str, int]
    anything: Any
    url: Annotated[str, Keywords(format="uri", maxLength=10)]
    described: Annotated[int, "how many"]
    optional: NotRequired[str]


class Partial(TypedDict, total=False):
    a: int
    b: Required[str]


@open_model
class Loose(TypedDict):
    a: int


@dataclass(frozen=True)
class Point:
    x: int
    label: str = "origin"
    tags: list[str] = field(default_factory=list)


def test_each_form_of_hint() -> None:
    defs = components(Outer)
    props = defs["Outer"]["properties"]
    assert props["name"] == {"type": "string"}
    assert props["ratio"] == {"type": "number"}
    assert props["flag"] == {"type": "boolean"}
    assert props["nothing"] == {"type": "null"}
    assert props["maybe"] == {"type": ["string", "null"]}
    assert props["kind"] == {"type": "string", "enum": ["a", "b"]}
    assert props["maybe_kind"] == {"type": ["string", "null"], "enum": ["a", "b", None]}
    assert props["inner"] == {"$ref": "#/components/schemas/Inner"}
    assert props["maybe_inner"] == {
        "anyOf": [{"$ref": "#/components/schemas/Inner"}, {"type": "null"}]
    }
    assert props["items"] == {"type": "array", "items": {"$ref": "#/components/schemas/Inner"}}
    assert props["pair"] == {
        "type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}],
        "minItems": 2, "maxItems": 2,
    }  # fmt: skip
    assert props["many"] == {"type": "array", "items": {"type": "string"}}
    assert props["counts"] == {"type": "object", "additionalProperties": {"type": "integer"}}
    assert props["anything"] == {}
    assert props["url"] == {"type": "string", "format": "uri", "maxLength": 10}
    assert props["described"] == {"type": "integer", "description": "how many"}
    assert "optional" not in defs["Outer"]["required"]
    assert set(defs["Outer"]["required"]) == set(props) - {"optional"}
    assert defs["Outer"]["additionalProperties"] is False
    assert "description" not in defs["Outer"]  # no docstring: not dict's
    assert defs["Inner"]["description"] == "An inner model."


def test_totality_openness_and_dataclasses() -> None:
    defs = components(Partial, Loose, Point)
    assert defs["Partial"]["required"] == ["b"]
    assert "additionalProperties" not in defs["Loose"]
    assert defs["Point"]["required"] == ["x"]
    assert defs["Point"]["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    assert "description" not in defs["Point"]  # the generated 'Point(x: int, ...)' is no text


def test_the_schemas_judge_values_as_the_types_say() -> None:
    flat = _standalone(components(Outer), "Outer")
    good = {
        "name": "x", "ratio": 1, "flag": True, "nothing": None, "maybe": None, "kind": "a",
        "maybe_kind": None, "inner": {"n": 1}, "maybe_inner": None, "items": [{"n": 2}],
        "pair": [1, "a"], "many": [], "counts": {"a": 1}, "anything": [1], "url": "http://x",
        "described": 3,
    }  # fmt: skip
    assert flat.is_valid(good)
    assert flat.is_valid({**good, "optional": "here"})
    assert not flat.is_valid({**good, "extra": 1})
    assert not flat.is_valid({**good, "kind": "c"})
    assert not flat.is_valid({**good, "pair": [1, "a", 2]})
    assert not flat.is_valid({**good, "inner": {"n": "one"}})
    assert not flat.is_valid({**good, "url": "http://far-too-long"})


def _standalone(defs: dict[str, Any], name: str) -> jsonschema.protocols.Validator:
    root = {"components": {"schemas": defs}, "$ref": f"#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(root)


def test_a_type_with_no_json_form_is_refused() -> None:
    with pytest.raises(TypeError, match="no JSON Schema"):
        schema_of(complex, {})
