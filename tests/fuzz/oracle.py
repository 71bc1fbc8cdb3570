"""An independent judge of what reaches an engine: the rules, checked on the engine's SQL.

The planner checks the statement an analyst wrote; this module checks what the planner
hands an engine, parsed again by sqlglot in the engine's own dialect, and shares no code
with the planner (only its published allow-list of functions and the catalog). A fuzz
example whose plan breaks a rule here is a hole, whatever the planner believed:

- exactly one statement, and it is a query (SELECT, set operation, VALUES), with no
  ``INTO``, locking clause, parameter or command inside;
- every table is a CTE visible in its scope, or a physical location the catalog gives
  that engine (the mesh views on DuckDB, the operator's catalogs on Trino);
- every function is in :data:`gateway.federation.ALLOWED_FUNCTIONS`;
- every column read from a physical table is one its contract declares; a ``*`` over a
  physical table is allowed only where the engine's relation holds declared columns only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from gateway.federation import ALLOWED_FUNCTIONS, Catalog

# Nodes that never belong in a read-only query, wherever they sit in the tree.
_FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = (
    exp.Into, exp.Lock, exp.Placeholder, exp.Parameter, exp.Command, exp.Insert, exp.Update,
    exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.Set, exp.Pragma, exp.Use,
    exp.Copy, exp.Describe, exp.Transaction, exp.Commit, exp.Rollback, exp.TruncateTable,
    exp.Attach, exp.Detach, exp.Install, exp.Export,
)  # fmt: skip

# Functions the planner's own mask rewrites write (``planner/masks.py``: SHA-256 hashes,
# zoned timestamps), as sqlglot names them. A caller cannot write them (the allow-list
# refuses them before any rewrite, which the SQL fuzz checks without rewrites); they are
# accepted only where a caller's access rules apply (the GraphQL fuzz's analyst).
MASK_FUNCTIONS = frozenset({"sha2", "timezone", "at_timezone", "encode", "lower_hex",
                            "s_h_a2_digest"})  # fmt: skip
# Functions the planner writes when it reads a stored column as its contract type
# (``planner/logical_types.py``: a zoned timestamp kept zoneless, as in MariaDB, read as
# UTC with Trino's ``with_timezone``). A caller cannot write them either (not in the
# allow-list); the planner writes them into any plan that reads such a column.
STORE_READ_FUNCTIONS = frozenset({"with_timezone"})
# The planner's division-by-zero guard (``planner/division_by_zero.py``) writes DuckDB's
# ``error('Division by zero')``; a caller cannot write ``error`` (not in the allow-list),
# and the guard's call is accepted with exactly that message only.
GUARD_ERROR = "Division by zero"

_QUERY_ROOTS = (exp.Select, exp.SetOperation, exp.Values, exp.Subquery)


@dataclass(frozen=True)
class Physical:
    """One relation an engine may read, and the columns it may read from it."""

    columns: frozenset[str]
    only_declared: bool  # the relation itself exposes declared columns only (a mesh view)


def allowed_relations(catalog: Catalog, engine: str) -> dict[tuple[str, ...], Physical]:
    """Lower-cased physical name parts -> what may be read there, for ``engine``."""
    allowed: dict[tuple[str, ...], Physical] = {}
    for table in catalog.tables():
        location = table.locations.get(engine)
        if location is None:
            continue
        names = {c.name.lower() for c in table.columns}
        names |= {c.physical_name.lower() for c in table.columns}
        key = tuple(p.lower() for p in location.parts)
        allowed[key] = Physical(frozenset(names), bool(location.logical_columns))
    return allowed


def violations(sql: str, engine: str, catalog: Catalog, *, masks: bool = False) -> list[str]:
    """What is wrong with ``sql`` as a statement for ``engine``: empty when it obeys.

    ``masks`` accepts the functions of the planner's mask rewrites too."""
    try:
        trees = [t for t in sqlglot.parse(sql, read=engine) if t is not None]
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as exc:
        return [f"the engine SQL does not parse in {engine}: {str(exc)[:200]}"]
    if len(trees) != 1:
        return [f"{len(trees)} statements"]
    tree = trees[0]
    found: list[str] = []
    if not isinstance(tree, _QUERY_ROOTS):
        found.append(f"not a query: {type(tree).__name__}")
    relations = allowed_relations(catalog, engine)
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            found.append(f"forbidden node {type(node).__name__}")
        elif isinstance(node, exp.Func):
            name = _function_name(node)
            planned = name in ALLOWED_FUNCTIONS or name in STORE_READ_FUNCTIONS
            planned = planned or _is_division_guard(node, name)
            if not planned and not (masks and name in MASK_FUNCTIONS):
                found.append(f"function {name}")
        elif isinstance(node, exp.Table):
            found.extend(_table_problem(node, relations))
    found.extend(_column_problems(tree, relations))
    return found


def _is_division_guard(node: exp.Func, name: str) -> bool:
    """Whether ``node`` is the planner's ``error('Division by zero')`` in a CASE branch."""
    arguments = node.expressions
    return (
        name == "error"
        and len(arguments) == 1
        and isinstance(arguments[0], exp.Literal)
        and arguments[0].is_string
        and arguments[0].this == GUARD_ERROR
        and isinstance(node.parent, exp.If)
    )


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def _parts(node: exp.Table) -> tuple[str, ...] | None:
    parts = [node.args.get("catalog"), node.args.get("db"), node.this]
    if not all(p is None or isinstance(p, exp.Identifier) for p in parts):
        return None
    return tuple(str(p.this).lower() for p in parts if p is not None)


def _table_problem(node: exp.Table, relations: dict[tuple[str, ...], Physical]) -> list[str]:
    parts = _parts(node)
    if parts is None:
        return [f"table that is not a name: {node.sql()[:80]}"]
    if parts in relations:
        return []
    if len(parts) == 1 and _visible_cte(node, parts[0]):
        return []
    return [f"table {'.'.join(parts)} is not a physical location of the catalog"]


def _visible_cte(node: exp.Expr, name: str) -> bool:
    """Whether a CTE called ``name`` is in scope where ``node`` sits (standard scoping:
    a CTE's body sees the CTEs before it in its WITH, itself too when RECURSIVE)."""
    child: exp.Expr = node
    parent = node.parent
    index: int | None = None  # which CTE of the WITH just left we came from
    while parent is not None:
        if isinstance(parent, exp.With):
            index = next((i for i, c in enumerate(parent.expressions) if c is child), None)
        elif isinstance(parent, exp.Query):
            with_ = parent.args.get("with_")
            if isinstance(with_, exp.With):
                ctes = list(with_.expressions)
                if child is with_:
                    recursive = bool(with_.args.get("recursive"))
                    ctes = ctes[: (index or 0) + (1 if recursive else 0)]
                if any(str(c.alias).lower() == name for c in ctes):
                    return True
        child, parent = parent, parent.parent
    return False


def _sources(select: exp.Select) -> Iterable[exp.Expr]:
    from_ = select.args.get("from_")
    if from_ is not None:
        yield from_.this
    for join in select.args.get("joins") or ():
        yield join.this
    yield from select.args.get("laterals") or ()


def _alias_of(source: exp.Expr) -> str:
    if isinstance(source, exp.Table):
        return str(source.alias or source.name).lower()
    return str(source.alias).lower() if source.alias else ""


def _resolve(column: exp.Column, qualifier: str) -> exp.Expr | None:
    """The FROM item named ``qualifier`` in the nearest enclosing SELECT that has one."""
    parent = column.parent
    while parent is not None:
        if isinstance(parent, exp.Select):
            for source in _sources(parent):
                if _alias_of(source) == qualifier:
                    return source
        parent = parent.parent
    return None


def _physical(source: exp.Expr, relations: dict[tuple[str, ...], Physical]) -> Physical | None:
    if not isinstance(source, exp.Table):
        return None
    parts = _parts(source)
    if parts is None or (len(parts) == 1 and _visible_cte(source, parts[0])):
        return None
    return relations.get(parts)


def _column_problems(tree: exp.Expr, relations: dict[tuple[str, ...], Physical]) -> list[str]:
    found: list[str] = []
    defined = {str(a.alias).lower() for a in tree.find_all(exp.Alias)}
    defined |= {str(c.alias).lower() for c in tree.find_all(exp.CTE)}
    for alias in tree.find_all(exp.TableAlias):
        defined |= {str(c.name).lower() for c in alias.columns}
    declared = set()
    for table in tree.find_all(exp.Table):
        physical = _physical(table, relations)
        if physical is not None:
            declared |= physical.columns
    for column in tree.find_all(exp.Column):
        name = str(column.name).lower()
        qualifier = str(column.table).lower()
        if isinstance(column.this, exp.Star):
            found.extend(_star_problem(column, qualifier, relations))
            continue
        if not qualifier:
            if name not in declared and name not in defined:
                found.append(f"column {name} is neither declared nor defined in the query")
            continue
        source = _resolve(column, qualifier)
        if source is None:
            found.append(f"column {qualifier}.{name}: {qualifier} is not a FROM item in scope")
            continue
        physical = _physical(source, relations)
        if physical is not None and name not in physical.columns:
            found.append(f"column {name} is not declared by {qualifier}")
    for star in tree.find_all(exp.Star):
        if isinstance(star.parent, exp.Select):
            found.extend(_star_problem(star, "", relations))
    return found


def _star_problem(
    node: exp.Expr, qualifier: str, relations: dict[tuple[str, ...], Physical]
) -> list[str]:
    select = node.find_ancestor(exp.Select)
    if select is None:
        return []
    for source in _sources(select):
        if qualifier and _alias_of(source) != qualifier:
            continue
        physical = _physical(source, relations)
        if physical is not None and not physical.only_declared:
            return [f"* over {source.sql()[:80]}, which has undeclared columns"]
    return []
