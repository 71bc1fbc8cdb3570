"""JSON Schema validation that reports :class:`DocumentIssue` objects a person can act on.

Two things differ from plain ``jsonschema``:

* Value keywords (``type``, ``enum``, ``pattern``, ``format`` ...) say nothing about an
  :class:`~contracts._placeholders.Unresolved` placeholder: its value is not known until
  deployment, so ``port: ${PG_PORT}`` is neither right nor wrong yet.
* ``date``, ``date-time`` and ``uri`` formats are asserted (as Bitol's own CI does with
  ajv-formats), without extra packages.
* Errors are rewritten into issues by ``contracts._errors``.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from jsonschema import Draft201909Validator, FormatChecker, ValidationError, validators
from jsonschema.protocols import Validator

from contracts._errors import translate
from contracts._issues import DocumentIssue
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


class BudgetExceeded(Exception):
    """Validation went past the deadline set with :func:`deadline`."""


_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


@contextmanager
def deadline(at: float) -> Iterator[None]:
    """Make every keyword evaluated in this block raise :class:`BudgetExceeded` after ``at``
    (a ``time.monotonic()`` value): this bounds a validation that would take minutes."""
    token = _deadline.set(at)
    try:
        yield
    finally:
        _deadline.reset(token)


def _bounded(keyword: KeywordFn) -> KeywordFn:
    def check(
        validator: Validator, value: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[ValidationError]:
        at = _deadline.get()
        if at is not None and time.monotonic() > at:
            raise BudgetExceeded
        return iter(keyword(validator, value, instance, schema) or ())

    return check


_base_keywords: Mapping[str, KeywordFn] = Draft201909Validator.VALIDATORS
_keywords = dict(_base_keywords)
_keywords.update({name: _defer_placeholders(_base_keywords[name]) for name in _VALUE_KEYWORDS})
_Validator = validators.extend(
    Draft201909Validator, {name: _bounded(fn) for name, fn in _keywords.items()}
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


def _never_raises(check: Callable[[object], bool]) -> Callable[[object], bool]:
    def safe(value: object) -> bool:
        try:
            return check(value)
        except ValueError:
            return False

    return safe


#: The same formats for the Rust validator (``contracts._bounded``), as plain predicates.
FORMATS: Mapping[str, Callable[[object], bool]] = {
    "date": _never_raises(_is_date),
    "date-time": _never_raises(_is_datetime),
    "uri": _is_uri,
}


def make_validator(schema: Mapping[str, Any]) -> Validator:
    """A validator for ``schema`` (draft 2019-09) that asserts date, date-time and uri."""
    validator: Validator = _Validator(schema, format_checker=_formats)
    return validator


def schema_issues(validator: Validator, instance: Any, source: str) -> list[DocumentIssue]:
    """Every problem ``validator`` finds in ``instance``, as issues of file ``source``."""
    issues: list[DocumentIssue] = []
    for error in validator.iter_errors(instance):
        issues.extend(translate(error, source, validator))
    return issues
