"""What a contract promises for one quality rule: its thresholds, as people read them.

A result names its rule (``property``: ``rowCount``, ``nullCheck``...) and what it is
about (``element``: ``table`` or ``table.column``); the contract's rule with that name on
that element gives the promised value a reason shows beside the observed one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

OPERATORS = (
    "mustBe", "mustNotBe", "mustBeGreaterThan", "mustBeGreaterOrEqualTo",
    "mustBeGreaterThanOrEqualTo", "mustBeLessThan", "mustBeLessOrEqualTo",
    "mustBeLessThanOrEqualTo", "mustBeBetween", "mustNotBeBetween",
)  # fmt: skip
# The column flags the kit checks as rules of their own.
_FLAGS = {"required": "no null values (required)", "unique": "no duplicate values (unique)"}


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else ()


def _rules(contract: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(element, rule) for every quality rule of the contract's objects and columns."""
    for obj in _list(contract.get("schema")):
        if not isinstance(obj, Mapping):
            continue
        table = str(obj.get("name", ""))
        for rule in _list(obj.get("quality")):
            if isinstance(rule, Mapping):
                yield table, rule
        for column in _list(obj.get("properties")):
            if not isinstance(column, Mapping):
                continue
            element = f"{table}.{column.get('name', '')}"
            for rule in _list(column.get("quality")):
                if isinstance(rule, Mapping):
                    yield element, rule


def _name(rule: Mapping[str, Any]) -> str:
    return str(rule.get("metric") or rule.get("rule") or rule.get("name") or rule.get("type"))


def threshold(rule: Mapping[str, Any]) -> str | None:
    """The rule's bounds as text.

    >>> threshold({"metric": "rowCount", "mustBeGreaterThan": 0})
    'mustBeGreaterThan 0'
    >>> threshold({"metric": "nullValues"}) is None
    True
    """
    parts = [f"{k} {rule[k]}" for k in OPERATORS if k in rule]
    unit = rule.get("unit")
    text = ", ".join(parts)
    return (f"{text} {unit}" if unit and text else text) or None


def promised(contract: Mapping[str, Any] | None, element: str, rule_name: str) -> str | None:
    """What ``contract`` promises for the rule ``rule_name`` on ``element``, or None."""
    if rule_name in _FLAGS:
        return _FLAGS[rule_name]
    if contract is None:
        return None
    for where, rule in _rules(contract):
        if where == element and _name(rule).lower() == rule_name.lower():
            return threshold(rule)
    return None


def dimension(contract: Mapping[str, Any] | None, element: str, rule_name: str) -> str | None:
    """The quality dimension (completeness, conformity...) of that rule, if declared."""
    for where, rule in _rules(contract or {}):
        if where == element and _name(rule).lower() == rule_name.lower():
            found = rule.get("dimension")
            return str(found) if found else None
    return None
