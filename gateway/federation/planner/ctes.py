"""CTE names: a one-part table name is a CTE only where that CTE is visible.

A CTE is visible in the query its ``WITH`` belongs to (and every query nested in it) and
in the later CTEs of the same ``WITH``; nowhere else. Collecting the CTE names of the
whole statement instead would let ``duckdb_settings`` (or the name of a registered file)
defined in one subquery pass unchecked in another scope, where the engine reads its own
relation of that name. ``WITH RECURSIVE`` is refused: a CTE naming itself reads rows the
planner cannot bound, and the engines' recursion rules differ.
"""

from __future__ import annotations

from sqlglot import exp

from gateway.errors import SqlNotAllowed


def check_recursive(tree: exp.Expr) -> None:
    """Refuse ``WITH RECURSIVE`` anywhere in ``tree``.

    >>> import sqlglot
    >>> check_recursive(sqlglot.parse_one("WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r"))
    Traceback (most recent call last):
    ...
    gateway.errors.SqlNotAllowed: SQL not allowed: WITH RECURSIVE is not supported
    """
    for node in tree.find_all(exp.With):
        if node.args.get("recursive"):
            raise SqlNotAllowed("WITH RECURSIVE is not supported")


def visible_ctes(node: exp.Expr) -> set[str]:
    """The lower-case names of the CTEs visible where ``node`` stands.

    >>> import sqlglot
    >>> tree = sqlglot.parse_one(
    ...     "WITH a AS (SELECT 1), b AS (SELECT * FROM t1) "
    ...     "SELECT * FROM (WITH c AS (SELECT 1) SELECT * FROM t2) x, t3"
    ... )
    >>> sorted((t.name, sorted(visible_ctes(t))) for t in tree.find_all(exp.Table))
    [('t1', ['a']), ('t2', ['a', 'b', 'c']), ('t3', ['a', 'b'])]
    """
    visible: set[str] = set()
    child: exp.Expr = node
    parent = node.parent
    while parent is not None:
        if isinstance(parent, exp.With):
            # Inside one CTE: the CTEs defined before it (never itself, never later ones).
            for cte in parent.expressions:
                if cte is child:
                    break
                visible.add(_name(cte))
        else:
            with_ = _with_of(parent)
            if with_ is not None and with_ is not child:
                visible.update(_name(cte) for cte in with_.expressions)
        child, parent = parent, parent.parent
    return visible


def _with_of(node: exp.Expr) -> exp.With | None:
    for key in ("with_", "with"):
        found = node.args.get(key)
        if isinstance(found, exp.With):
            return found
    return None


def _name(cte: exp.Expr) -> str:
    return str(cte.alias_or_name).lower()
