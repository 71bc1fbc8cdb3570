"""Matching the items of two lists of a contract by name: the keys :mod:`compare` uses.

Tables and columns are matched by ``name``, servers by ``server``, roles by ``role``, SLA
properties by ``property`` (and ``element``), quality rules by ``id``, ``name`` or metric:
never by position, so reordering a list is no change. An item without its key is named by
its position (``#3``); a key written twice gets ``#2``, ``#3``... so no item is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def keyed(items: list[Any], key: Callable[[Mapping[str, Any], int], str]) -> dict[str, Any]:
    """Items by key, in list order; a repeated key gets ``#2``, ``#3``..."""
    found: dict[str, Any] = {}
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            item = {"value": item}
        name = key(item, index)
        unique, n = name, 1
        while unique in found:
            n += 1
            unique = f"{name}#{n}"
        found[unique] = item
    return found


def by(field: str) -> Callable[[Mapping[str, Any], int], str]:
    def key(item: Mapping[str, Any], index: int) -> str:
        value = item.get(field)
        return str(value) if isinstance(value, str | int) and value != "" else f"#{index}"

    return key


def rule_key(rule: Mapping[str, Any], index: int) -> str:
    for field in ("id", "name"):
        if isinstance(rule.get(field), str) and rule[field]:
            return str(rule[field])
    metric = rule.get("metric") or rule.get("rule")
    if isinstance(metric, str) and metric:
        dimension = rule.get("dimension")
        return metric + (f"/{dimension}" if isinstance(dimension, str) else "")
    text = rule.get("query") or rule.get("description") or rule.get("type")
    return text[:40] if isinstance(text, str) and text else f"#{index}"


def sla_key(item: Mapping[str, Any], index: int) -> str:
    name = item.get("property")
    if not isinstance(name, str) or not name:
        return f"#{index}"
    element = item.get("element")
    return f"{name}@{element}" if isinstance(element, str) and element else name


def server_key(item: Mapping[str, Any], index: int) -> str:
    for field in ("server", "id", "type"):
        if isinstance(item.get(field), str) and item[field]:
            return str(item[field])
    return f"#{index}"


def renames(
    gone: list[str], came: list[str], a: dict[str, Any], b: dict[str, Any]
) -> dict[str, str]:
    """Removed -> added names whose shapes match one to one (a likely rename)."""

    def shape(item: Mapping[str, Any]) -> str:
        props = item.get("properties")
        names = (
            sorted(str(p.get("name")) for p in props if isinstance(p, Mapping))
            if isinstance(props, list)
            else []
        )
        return repr((item.get("logicalType"), item.get("physicalType"), names))

    shapes_gone: dict[str, list[str]] = {}
    for name in gone:
        shapes_gone.setdefault(shape(a[name]), []).append(name)
    shapes_came: dict[str, list[str]] = {}
    for name in came:
        shapes_came.setdefault(shape(b[name]), []).append(name)
    return {
        names[0]: shapes_came[s][0]
        for s, names in shapes_gone.items()
        if len(names) == 1 and len(shapes_came.get(s, [])) == 1
    }
