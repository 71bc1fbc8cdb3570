"""Rewrite ``jsonschema`` errors as :class:`DocumentIssue` objects a person can act on.

A missing or unknown field is reported at its own path (with the closest known name as a
hint), an enum miss suggests the closest allowed value, and a failed ``oneOf``/``anyOf``
reports the alternative the author most likely meant instead of every alternative.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import ValidationError
from jsonschema.protocols import Validator

from contracts._issues import DocumentIssue, format_path


def translate(error: ValidationError, source: str, validator: Validator) -> list[DocumentIssue]:
    path = list(error.absolute_path)
    kind = error.validator
    if kind in ("oneOf", "anyOf") and error.context:
        types = _alternative_types(error)
        if types:  # no alternative takes a value of this type: say which types would do
            return [_type_issue(source, path, error.instance, types)]
        fields = _alternative_fields(error)
        if fields:  # each alternative is "have field X": none of the X is there
            expected = "one of " + ", ".join(fields)
            return [
                DocumentIssue(source, format_path(path), "a required field is missing", expected)
            ]
        branch = _likeliest_branch(error)
        return [issue for sub in branch for issue in translate(sub, source, validator)]
    if kind == "oneOf":  # no sub-errors: the value fits several alternatives at once
        return [_ambiguous(source, path, error.instance)]
    if kind in _SIZE_WORDS:
        return [_size_issue(source, path, kind, error.validator_value, error.instance)]
    if kind == "uniqueItems":
        return [DocumentIssue(source, format_path(path), "list has repeated items", "unique items")]
    if kind == "required":
        missing = _quoted_name(error.message)
        if missing is not None:
            return [DocumentIssue(source, format_path([*path, missing]), "required field missing")]
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        unknown = [k for k in error.instance if k not in known and not _matches(patterns, k)]
        return [_unknown_field(source, path, key, known) for key in unknown]
    if kind == "unevaluatedProperties" and isinstance(error.instance, dict):
        known = _evaluated_fields(error.schema, error.instance, validator)
        # A key only a failing alternative declares is left "unevaluated" by that failure,
        # which is reported on its own; only keys no applicable subschema knows are unknown.
        unknown = [k for k in error.instance if k not in known]
        # Suggest from every alternative, applicable or not: `mustBeGreaterThanOrEqualTo`
        # in a rule that is not (yet) a library rule should still point at the operator.
        names = _evaluated_fields(error.schema, error.instance, validator, every_branch=True)
        return [_unknown_field(source, path, key, names) for key in unknown]
    if kind == "enum" and isinstance(error.validator_value, list):
        return [_enum_issue(source, path, error.instance, error.validator_value)]
    if kind == "const":
        expected = repr(error.validator_value)
        message = f"{_short(error.instance)} is not {expected}"
        return [DocumentIssue(source, format_path(path), message, expected)]
    if kind == "type":
        return [_type_issue(source, path, error.instance, error.validator_value)]
    if kind == "format":
        message = f"{_short(error.instance)} is not a valid {error.validator_value}"
        expected = _FORMAT_HINT.get(str(error.validator_value), str(error.validator_value))
        return [DocumentIssue(source, format_path(path), message, expected)]
    if kind == "pattern":
        message = f"{_short(error.instance)} does not match the required pattern"
        expected = f"text matching {error.validator_value}"
        return [DocumentIssue(source, format_path(path), message, expected)]
    return [DocumentIssue(source, format_path(path), error.message)]


_FORMAT_HINT = {
    "date": "a date like 2024-01-31",
    "date-time": "a date-time like 2024-01-31T12:00:00Z",
    "uri": "a URI with a scheme, like s3://bucket/path or https://host/path",
}


_SIZE_WORDS = {
    "minItems": ("at least", "item"),
    "maxItems": ("at most", "item"),
    "minLength": ("at least", "character"),
    "maxLength": ("at most", "character"),
    "minProperties": ("at least", "field"),
    "maxProperties": ("at most", "field"),
}


def _size_issue(
    source: str, path: list[Any], kind: str, limit: Any, instance: Any
) -> DocumentIssue:
    bound, unit = _SIZE_WORDS[kind]
    plural = "" if limit == 1 else "s"
    count = len(instance) if isinstance(instance, str | list | dict) else 0
    message = "is empty" if count == 0 else f"has {count} {unit}{'' if count == 1 else 's'}"
    return DocumentIssue(source, format_path(path), message, f"{bound} {limit} {unit}{plural}")


def _ambiguous(source: str, path: list[Any], instance: Any) -> DocumentIssue:
    operators = (
        sorted(k for k in instance if k.startswith(("mustBe", "mustNotBe")))
        if isinstance(instance, dict)
        else []
    )
    if len(operators) > 1:
        # ODCS v3.1+ quality rules take exactly one comparison operator.
        message = f"a quality rule takes one operator, found {', '.join(operators)}"
        return DocumentIssue(source, format_path(path), message, "mustBeBetween for a range")
    message = "matches more than one of the allowed forms, so its meaning is ambiguous"
    return DocumentIssue(source, format_path(path), message, "exactly one form")


def _alternative_types(error: ValidationError) -> list[str]:
    """The types a oneOf/anyOf allows, if every alternative failed on the value's type."""
    depth = len(error.absolute_path)
    branches: dict[Any, list[str] | None] = {}
    for sub in error.context or ():
        key = sub.relative_schema_path[0] if sub.relative_schema_path else 0
        at_root = len(sub.absolute_path) == depth and sub.validator == "type"
        wanted = (
            sub.validator_value if isinstance(sub.validator_value, list) else [sub.validator_value]
        )
        branches.setdefault(key, None)
        if at_root:
            branches[key] = [str(t) for t in wanted]
    if not branches or any(v is None for v in branches.values()):
        return []
    return list(dict.fromkeys(t for v in branches.values() for t in v or ()))


def _alternative_fields(error: ValidationError) -> list[str]:
    """The missing fields, if each alternative of a oneOf/anyOf failed on one of them only."""
    depth = len(error.absolute_path)
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or ():
        key = sub.relative_schema_path[0] if sub.relative_schema_path else 0
        branches.setdefault(key, []).append(sub)
    fields: list[str] = []
    for errors in branches.values():
        if len(errors) != 1 or errors[0].validator != "required":
            return []
        if len(errors[0].absolute_path) != depth:
            return []
        name = _quoted_name(errors[0].message)
        if name is None:
            return []
        fields.append(name)
    return fields


def _likeliest_branch(error: ValidationError) -> list[ValidationError]:
    """The errors of the alternative of a failed oneOf/anyOf the author most likely meant.

    An alternative whose own type, const or enum does not fit the value was clearly not
    meant; among the rest, the one with the fewest errors, then the deepest, wins.
    """
    branches: dict[int | str, list[ValidationError]] = {}
    for sub in error.context or ():
        key = sub.relative_schema_path[0] if sub.relative_schema_path else 0
        branches.setdefault(key, []).append(sub)
    depth = len(error.absolute_path)

    def rank(errors: list[ValidationError]) -> tuple[int, int, int]:
        mismatch = any(
            len(e.absolute_path) == depth and e.validator in ("type", "const", "enum")
            for e in errors
        )
        deepest = max(len(e.absolute_path) for e in errors)
        return (int(mismatch), len(errors), -deepest)

    return min(branches.values(), key=rank)


def _evaluated_fields(
    schema: Any,
    instance: dict[str, Any],
    validator: Validator,
    seen: frozenset[int] = frozenset(),
    every_branch: bool = False,
) -> set[str]:
    """Keys of ``instance`` that ``schema`` declares, following ``$ref``, ``allOf``,
    ``anyOf``/``oneOf`` and, of ``if``/``then``/``else``, only the branch that applies
    (or both, with ``every_branch``)."""
    if not isinstance(schema, Mapping) or id(schema) in seen:
        return set()
    seen = seen | {id(schema)}
    if schema.get("additionalProperties", False) is not False:
        return set(instance)
    names = set(schema.get("properties", {}))
    patterns = list(schema.get("patternProperties", {}))
    names |= {k for k in instance if _matches(patterns, k)}
    subschemas: list[Any] = []
    ref = schema.get("$ref")
    if isinstance(ref, str):
        # An unresolvable $ref only costs us suggestions.
        with contextlib.suppress(Exception):
            subschemas.append(validator._resolver.lookup(ref).contents)
    for keyword in ("allOf", "anyOf", "oneOf"):
        subschemas.extend(schema.get(keyword, ()))
    if "if" in schema and every_branch:
        subschemas.extend((schema.get("then"), schema.get("else")))
    elif "if" in schema:
        applies = validator.evolve(schema=schema["if"]).is_valid(instance)
        subschemas.append(schema.get("then" if applies else "else"))
    for sub in subschemas:
        names |= _evaluated_fields(sub, instance, validator, seen, every_branch)
    return names


def _matches(patterns: list[str], key: str) -> bool:
    return any(re.search(p, key) for p in patterns)


# Fields ODCS renamed, which difflib cannot guess.
_RENAMED = {"rule": "metric"}


def _unknown_field(source: str, path: list[Any], key: str, known: Iterable[str]) -> DocumentIssue:
    names = set(known)
    where = format_path([*path, key])
    if _RENAMED.get(key) in names:
        return DocumentIssue(
            source, where, f"unknown field {key!r}; did you mean {_RENAMED[key]!r}?"
        )
    if key in names:  # declared only by an alternative that does not apply (another type)
        return DocumentIssue(source, where, f"field {key!r} does not apply to this kind of object")
    close = difflib.get_close_matches(key, sorted(names), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return DocumentIssue(source, where, f"unknown field {key!r}{hint}")


def _enum_issue(source: str, path: list[Any], value: Any, allowed: list[Any]) -> DocumentIssue:
    shown = ", ".join(repr(a) for a in allowed[:12]) + (", ..." if len(allowed) > 12 else "")
    message = f"{_short(value)} is not one of [{shown}]"
    if isinstance(value, str):
        close = difflib.get_close_matches(value, [a for a in allowed if isinstance(a, str)], n=1)
        if close:
            message += f"; did you mean {close[0]!r}?"
    expected = "one of " + ", ".join(str(a) for a in allowed[:12])
    expected += ", ..." if len(allowed) > 12 else ""
    return DocumentIssue(source, format_path(path), message, expected)


def _type_issue(source: str, path: list[Any], value: Any, wanted: Any) -> DocumentIssue:
    types = wanted if isinstance(wanted, list) else [wanted]
    expected = " or ".join(str(t) for t in types)
    message = f"{_short(value)} is not of type {expected}"
    if "string" in types and isinstance(value, int | float) and not isinstance(value, bool):
        message += "; quote it to keep it as text"
    return DocumentIssue(source, format_path(path), message, expected)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _quoted_name(message: str) -> str | None:
    match = re.match(r"^(['\"])(.*)\1 is a required property$", message)
    return match.group(2) if match else None
