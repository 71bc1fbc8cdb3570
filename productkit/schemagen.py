"""JSON Schema (2020-12, the dialect of OpenAPI 3.1) from Python type hints.

The kit's answers are typed models (TypedDicts and dataclasses in
:mod:`productkit.answers`); this turns those same models into the schemas of the OpenAPI
document, so a field added to a model shows in the document and the two cannot drift.
Why not pydantic: the models are plain dicts at run time (what the handlers already
return), and the mapping is small enough to own.

Handled: ``str int float bool None``, ``X | None`` and other unions, ``list`` /
``Sequence`` / ``tuple``, ``dict[str, X]`` / ``Mapping``, ``Literal``, ``Any``, nested
TypedDicts and dataclasses (each one a named schema, referenced), and
``Annotated[X, Keywords(...)]`` (keywords added) or ``Annotated[X, "text"]`` (a
description). Models are closed (``additionalProperties: false``) unless marked with
:func:`open_model`.

>>> from typing import TypedDict
>>> class Point(TypedDict):
...     x: int
...     label: str | None
>>> defs: dict[str, Any] = {}
>>> schema_of(Point, defs)
{'$ref': '#/components/schemas/Point'}
>>> defs["Point"]["properties"]["label"]
{'type': ['string', 'null']}
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NotRequired, Required, TypeVar, Union, get_args, get_origin

REF_PREFIX = "#/components/schemas/"
_OPEN = "__schema_open__"
_SCALARS: dict[Any, str] = {str: "string", bool: "boolean", int: "integer", float: "number"}

M = TypeVar("M")


class Keywords:
    """JSON Schema keywords a type's schema gets: ``Annotated[str, Keywords(format="uri")]``.

    (Hashable, unlike a dict, so the annotated type can sit in a union.)
    """

    def __init__(self, **keywords: str | int | float | bool) -> None:
        self.items = tuple(sorted(keywords.items()))

    def __hash__(self) -> int:
        return hash(self.items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Keywords) and other.items == self.items


def open_model(model: M) -> M:
    """Mark ``model`` as accepting keys it does not list (``additionalProperties`` allowed).

    For request bodies whose handler ignores unknown keys: the schema must not promise a
    refusal the server does not make.
    """
    setattr(model, _OPEN, True)
    return model


def schema_of(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """The schema of type ``tp``; named models are added to ``defs`` and referenced."""
    if tp is Any or tp is object:
        return {}
    if tp is None or tp is type(None):
        return {"type": "null"}
    if isinstance(tp, type) and tp in _SCALARS:
        return {"type": _SCALARS[tp]}
    if typing.is_typeddict(tp) or (inspect.isclass(tp) and dataclasses.is_dataclass(tp)):
        return _model_ref(tp, defs)
    origin, args = get_origin(tp), get_args(tp)
    if origin is typing.Annotated:
        base = schema_of(args[0], defs)
        for extra in args[1:]:
            if isinstance(extra, str):
                base = {**base, "description": extra}
            elif isinstance(extra, Keywords):
                base = {**base, **dict(extra.items)}
        return base
    if origin is Literal:
        kinds = {_SCALARS.get(type(v), "null") for v in args}
        literal: dict[str, Any] = {"enum": list(args)}
        return {"type": kinds.pop(), **literal} if len(kinds) == 1 else literal
    if origin in (Union, types.UnionType):
        return _union([schema_of(a, defs) for a in args])
    if origin in (list, tuple, Sequence, set, frozenset):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            items = [schema_of(a, defs) for a in args]
            return {"type": "array", "prefixItems": items, "minItems": len(items),
                    "maxItems": len(items)}  # fmt: skip
        return {"type": "array", "items": schema_of(args[0], defs) if args else {}}
    if origin in (dict, Mapping):
        return {"type": "object", "additionalProperties": schema_of(args[1], defs)}
    raise TypeError(f"no JSON Schema for {tp!r}")


def _union(members: list[dict[str, Any]]) -> dict[str, Any]:
    """``X | None`` as ``type: [X, "null"]`` where X is a plain typed schema, else anyOf."""
    null = {"type": "null"}
    others = [m for m in members if m != null]
    if len(others) == 1 and len(others) < len(members) and isinstance(others[0].get("type"), str):
        merged = {**others[0], "type": [others[0]["type"], "null"]}
        if "enum" in merged:
            merged["enum"] = [*merged["enum"], None]
        return merged
    return {"anyOf": members}


def _model_ref(model: type[Any], defs: dict[str, Any]) -> dict[str, Any]:
    name = model.__name__
    if name not in defs:
        defs[name] = {}  # placeholder first: a model may refer to itself
        defs[name] = model_schema(model, defs)
    return {"$ref": REF_PREFIX + name}


def model_schema(model: type[Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The object schema of one TypedDict or dataclass (its docstring as description)."""
    hints = typing.get_type_hints(model, include_extras=True)
    if typing.is_typeddict(model):
        # Read NotRequired / Required from the hints: with postponed annotations Python
        # 3.11's __required_keys__ cannot see them.
        total = bool(getattr(model, "__total__", True))
        fields = list(hints)
        required_keys = {
            key
            for key, hint in hints.items()
            if get_origin(hint) is Required or (total and get_origin(hint) is not NotRequired)
        }
    else:
        found = dataclasses.fields(model)
        fields = [f.name for f in found]
        required_keys = {
            f.name
            for f in found
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
    properties = {}
    for key in fields:
        hint = hints[key]
        while get_origin(hint) in (Required, NotRequired):
            hint = get_args(hint)[0]
        properties[key] = schema_of(hint, defs)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    required = [key for key in fields if key in required_keys]
    if required:
        schema["required"] = required
    if not getattr(model, _OPEN, False):
        schema["additionalProperties"] = False
    doc = inspect.getdoc(model)
    if doc and doc != inspect.getdoc(dict) and not doc.startswith(model.__name__ + "("):
        schema["description"] = doc
    return schema


def components(*models: Any) -> dict[str, Any]:
    """The named schemas of ``models`` and of every model they use, by class name."""
    defs: dict[str, Any] = {}
    for model in models:
        schema_of(model, defs)
    return defs
