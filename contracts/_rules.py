"""Checks on ODCS contracts that the JSON Schema cannot express.

The JSON Schema accepts some contracts that software reading them would trip over. Each
rule below is one such case; keep the list short and each rule obvious:

* two schema objects, or two properties of one object, with the same ``name``
  (a table with two columns of one name cannot exist);
* two ``servers`` entries with the same ``server`` name (servers are chosen by name);
* two key columns of one object at the same ``primaryKeyPosition``;
* a quality rule key that looks like a comparison operator but is none
  (``mustBeGreaterThanOrEqualTo``): v3.0.x schemas accept any key in a rule, so the rule
  would silently check nothing.

Findings the standard does not forbid in words are *warnings* (reported, the contract
still loads):

* ``primaryKeyPosition`` set (>= 1) on a property that is not ``primaryKey: true`` (the
  standard describes the position of key columns but says nothing of other columns; a
  tool may keep a position while the key is switched off);
* a quality rule whose bounds leave no value possible: ``mustBeGreaterThan`` (or
  ``...OrEqualTo``) above ``mustBeLessThan`` (or ``...OrEqualTo``), or ``mustBeBetween``
  / ``mustNotBeBetween`` with the larger number first (the standard gives the operators'
  meaning, not a rule against such a pair; the rule will simply never pass).

The rules only look at values of the right type: a wrongly typed value is already
reported by the JSON Schema, once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any, TypeGuard

from contracts._issues import ERROR, WARNING, DocumentIssue, format_path

Path = list[str | int]
#: A finding: where, what, and its severity when not an error.
Finding = tuple[Path, str] | tuple[Path, str, str]


def contract_issues(doc: dict[str, Any], source: str) -> list[DocumentIssue]:
    """Issues the schema misses in an ODCS contract ``doc`` (already a plain dict)."""
    found: list[Finding] = [
        *_duplicate_names(doc.get("schema"), ["schema"], "name", "schema object"),
        *_duplicate_names(doc.get("servers"), ["servers"], "server", "server"),
    ]
    for index, obj in _dicts(doc.get("schema")):
        found.extend(_object_issues(obj, ["schema", index]))
    return [
        DocumentIssue(source, format_path(f[0]), f[1], severity=f[2] if len(f) == 3 else ERROR)
        for f in found
    ]


def _object_issues(obj: dict[str, Any], path: Path) -> Iterator[Finding]:
    yield from _quality_issues(obj.get("quality"), [*path, "quality"])
    props = obj.get("properties")
    yield from _duplicate_names(props, [*path, "properties"], "name", "property")
    positions: dict[int, str] = {}
    for index, prop in _dicts(props):
        here: Path = [*path, "properties", index]
        position = prop.get("primaryKeyPosition")
        if _is_int(position) and position >= 1:
            if prop.get("primaryKey") is not True:
                yield (
                    [*here, "primaryKeyPosition"],
                    f"primaryKeyPosition {position} is set but primaryKey is not true",
                    WARNING,
                )
            elif position in positions:
                yield (
                    [*here, "primaryKeyPosition"],
                    f"primaryKeyPosition {position} is also used by {positions[position]!r}",
                )
            else:
                positions[position] = str(prop.get("name"))
        # A property carries its own quality rules, and nested properties if an object.
        yield from _object_issues(prop, here)
        items = prop.get("items")
        if isinstance(items, dict):
            yield from _object_issues(items, [*here, "items"])


_LOWER = ("mustBeGreaterThan", "mustBeGreaterOrEqualTo")
_OPERATORS = (
    "mustBe",
    "mustNotBe",
    "mustBeGreaterThan",
    "mustBeGreaterOrEqualTo",
    "mustBeLessThan",
    "mustBeLessOrEqualTo",
    "mustBeBetween",
    "mustNotBeBetween",
)
_UPPER = ("mustBeLessThan", "mustBeLessOrEqualTo")


def _quality_issues(rules: Any, path: Path) -> Iterator[Finding]:
    for index, rule in _dicts(rules):
        here: Path = [*path, index]
        for key in rule:
            if key.startswith(("mustBe", "mustNotBe")) and key not in _OPERATORS:
                close = difflib.get_close_matches(key, _OPERATORS, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                yield ([*here, key], f"unknown comparison operator {key!r}{hint}")
        for low_key in _LOWER:
            for high_key in _UPPER:
                low, high = rule.get(low_key), rule.get(high_key)
                if not (_is_number(low) and _is_number(high)):
                    continue
                inclusive = low_key.endswith("OrEqualTo") and high_key.endswith("OrEqualTo")
                if low > high or (low == high and not inclusive):
                    yield (
                        [*here, low_key],
                        f"{low_key} {low} and {high_key} {high} leave no value possible",
                        WARNING,
                    )
        for key in ("mustBeBetween", "mustNotBeBetween"):
            pair = rule.get(key)
            if _is_pair(pair) and pair[0] > pair[1]:
                yield ([*here, key], f"{key} {pair} has the larger number first", WARNING)


def _duplicate_names(items: Any, path: Path, key: str, what: str) -> Iterator[tuple[Path, str]]:
    first: dict[str, int] = {}
    for index, item in _dicts(items):
        name = item.get(key)
        if not isinstance(name, str):
            continue
        if name in first:
            where = format_path([*path, first[name]])
            yield ([*path, index, key], f"{what} name {name!r} is used twice (first at {where})")
        else:
            first[name] = index


def _dicts(items: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_pair(value: Any) -> TypeGuard[list[float]]:
    return isinstance(value, list) and len(value) == 2 and all(map(_is_number, value))
