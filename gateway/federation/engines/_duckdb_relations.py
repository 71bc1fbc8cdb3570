"""Which relations a DuckDB statement reads, with each CTE name resolved in its own scope.

DuckDB falls back a long way when a name is not a table of the search path: its system
views (``duckdb_views``, ``duckdb_settings``, ``information_schema``, ``pg_catalog``,
``sqlite_master``), and replacement scans that turn a file name (``FROM 'data/x.csv'``)
into a read of that file. None of that can be switched off by a setting, so the engine
checks the statement's own parse tree (``json_serialize_sql``): every table it names
must be one of the mesh views the engine created, or a CTE visible where it is named.

Scopes follow DuckDB's binder: a CTE is visible in the body of its query, in the CTEs
declared after it and in nested queries; a CTE's own body does not see itself unless it
is recursive, and then only in its recursive part (``WITH x AS (SELECT * FROM x)`` reads
the *outer* ``x``, which is how a CTE would otherwise unlock a system view).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Relation = tuple[str, ...]
"""A qualified name, lower-case parts: ``("mesh", "d__p__t")``."""

# Table references that read nothing but their own children or the query's text.
_PLAIN_REFS = frozenset({"JOIN", "SUBQUERY", "EMPTY", "EXPRESSION_LIST", "PIVOT", "TABLE_FUNCTION"})


def foreign_relations(tree: Any, allowed: frozenset[Relation]) -> Iterator[str]:
    """Each table ``tree`` names that is neither in ``allowed`` nor a CTE in scope.

    ``tree`` is one statement's ``json_serialize_sql`` node; what comes back is the name
    as written (or the kind of reference, e.g. ``SHOW_REF``).

    >>> base = lambda name: {"type": "BASE_TABLE", "alias": "", "query_location": 0,
    ...     "sample": None, "catalog_name": "", "schema_name": "", "table_name": name}
    >>> cte = {"key": "x", "value": {"query": {"node": {"type": "SELECT_NODE",
    ...     "cte_map": {"map": []}, "from_table": base("x")}}}}
    >>> node = {"type": "SELECT_NODE", "cte_map": {"map": [cte]}, "from_table": base("x")}
    >>> list(foreign_relations(node, frozenset()))
    ['x']
    """
    yield from _walk(tree, allowed, frozenset())


def _walk(node: Any, allowed: frozenset[Relation], ctes: frozenset[str]) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, allowed, ctes)
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("cte_map"), dict):  # a query node that may declare CTEs
        visible = ctes
        for entry in node["cte_map"].get("map") or []:
            name = str(entry.get("key", "")).lower()
            body = (entry.get("value") or {}).get("query") or {}
            yield from _cte_body(body, name, allowed, visible)
            visible = visible | {name}
        rest = {k: v for k, v in node.items() if k != "cte_map"}
        yield from _walk(rest, allowed, visible)
        return
    if _is_table_ref(node):
        kind = node["type"]
        if kind == "BASE_TABLE":
            names = ("catalog_name", "schema_name", "table_name")
            parts = tuple(str(node.get(k) or "").lower() for k in names)
            relation = tuple(p for p in parts if p)
            if relation not in allowed and not (len(relation) == 1 and relation[0] in ctes):
                yield ".".join(relation)
            return
        if kind not in _PLAIN_REFS:
            yield kind
            return
    for value in node.values():
        yield from _walk(value, allowed, ctes)


def _cte_body(
    body: Any, name: str, allowed: frozenset[Relation], visible: frozenset[str]
) -> Iterator[str]:
    query = body.get("node") if isinstance(body, dict) else None
    if isinstance(query, dict) and query.get("type") == "RECURSIVE_CTE_NODE":
        # The anchor does not see the CTE; the recursive part does.
        yield from _walk(query.get("left"), allowed, visible)
        yield from _walk(query.get("right"), allowed, visible | {name})
        rest = {k: v for k, v in query.items() if k not in ("left", "right")}
        yield from _walk(rest, allowed, visible | {name})
        return
    yield from _walk(body, allowed, visible)


def _is_table_ref(node: dict[str, Any]) -> bool:
    return (
        isinstance(node.get("type"), str)
        and "class" not in node
        and "alias" in node
        and "query_location" in node
    )
