"""JSON Schema validation that reports :class:`DocumentIssue` objects a person can act on.

Two things differ from plain ``jsonschema``:

* Value keywords (``type``, ``enum``, ``pattern``, ``format`` ...) say nothing about an
  :class:`~contracts._placeholders.Unresolved` placeholder: its value is not known until
  deployment, so ``port: ${PG_PORT}`` is neither right nor wrong yet.
* Errors are rewritten: a missing or unknown field is reported at its own path, an enum
  miss suggests the closest allowed value, and a failed ``oneOf`` / ``anyOf`` reports the
  errors of the alternative the author most likely meant instead of every alternative.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from jsonschema import Draft201909Validator, FormatChecker, ValidationError, validators
from jsonschema.protocols import Validator

from contracts._issues import DocumentIssue, format_path
from contracts._placeholders import Unresolved

# Keywords that judge a value itself (rather than the shape of a document).
_VALUE_KEYWORDS = (
    "type",
    "enum",
    "const",
    "pattern",
    "format",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
)

KeywordFn = Callable[[Validator, Any, Any, Mapping[str, Any]], Iterator[ValidationError]]


def _defer_placeholders(keyword: KeywordFn) -> KeywordFn:
    def check(
        validator: Validator, value: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[ValidationError]:
        if isinstance(instance, Unresolved):
            return iter(())
        return iter(keyword(validator, value, instance, schema) or ())

    return check


_base_keywords: Mapping[str, KeywordFn] = Draft201909Validator.VALIDATORS
_Validator = validators.extend(
    Draft201909Validator,
    {name: _defer_placeholders(_base_keywords[name]) for name in _VALUE_KEYWORDS},
)

_formats = FormatChecker(formats=())
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$")


def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(dt.date.fromisoformat(value)) and len(value) == 10


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(_RFC3339.match(value)) and bool(dt.datetime.fromisoformat(value.upper()))


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


# Registered by hand: FormatChecker.checks is an untyped decorator.
_formats.checkers["date"] = (_is_date, ValueError)
_formats.checkers["date-time"] = (_is_datetime, ValueError)
_formats.checkers["uri"] = (_is_uri, ())


def make_validator(schema: Mapping[str, Any]) -> Validator:
    """A validator for ``schema`` (draft 2019-09) that asserts date, date-time and uri."""
    validator: Validator = _Validator(schema, format_checker=_formats)
    return validator


def schema_issues(validator: Validator, instance: Any, source: str) -> list[DocumentIssue]:
    """Every problem ``validator`` finds in ``instance``, as issues of file ``source``."""
    issues: list[DocumentIssue] = []
    for error in validator.iter_errors(instance):
        issues.extend(_translate(error, source, validator))
    return issues


def _translate(error: ValidationError, source: str, validator: Validator) -> list[DocumentIssue]:
    path = list(error.absolute_path)
    kind = error.validator
    if kind in ("oneOf", "anyOf") and error.context:
        branch = _likeliest_branch(error)
        return [issue for sub in branch for issue in _translate(sub, source, validator)]
    if kind == "required":
        missing = _quoted_name(error.message)
        if missing is not None:
            return [DocumentIssue(source, format_path([*path, missing]), "required field missing")]
    if kind in ("additionalProperties", "unevaluatedProperties") and isinstance(
        error.instance, dict
    ):
        known = _known_fields(error.schema, validator)
        unknown = [k for k in error.instance if k not in known]
        if unknown and known:
            return [_unknown_field(source, path, key, known) for key in unknown]
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


def _known_fields(schema: Any, validator: Validator, seen: set[int] | None = None) -> set[str]:
    """Names of the properties ``schema`` declares, following $ref and allOf/if/then."""
    seen = set() if seen is None else seen
    if not isinstance(schema, Mapping) or id(schema) in seen:
        return set()
    seen.add(id(schema))
    names = set(schema.get("properties", {}))
    ref = schema.get("$ref")
    if isinstance(ref, str):
        try:
            target = validator._resolver.lookup(ref).contents
        except Exception:  # an unresolvable $ref only loses suggestions
            target = None
        names |= _known_fields(target, validator, seen)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword, ()):
            names |= _known_fields(sub, validator, seen)
    for keyword in ("then", "else"):
        names |= _known_fields(schema.get(keyword), validator, seen)
    return names


def _unknown_field(source: str, path: list[Any], key: str, known: Iterable[str]) -> DocumentIssue:
    close = difflib.get_close_matches(key, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return DocumentIssue(source, format_path([*path, key]), f"unknown field {key!r}{hint}")


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
