"""Row filters from contracts: untrusted SQL conditions, checked node by node.

A contract role's ``rowFilter`` is written by a product, so it is held to a smaller rule
set than a caller's query: one expression (never a second statement), built only from the
table's declared columns (unqualified), literals, comparisons, ``AND``/``OR``/``NOT``,
``IN`` (a list), ``BETWEEN``, ``IS [NOT] NULL``, ``LIKE``, arithmetic, and the scalar
functions of the planner's allow-list. No subquery, no table, no aggregate or window
function, no placeholder. A filter that breaks a rule is a :class:`RowFilterInvalid`; the
planner then treats the role as granting nothing on that table.
"""

from __future__ import annotations

from functools import cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from gateway.federation.catalog import CatalogTable
from gateway.federation.contract_access import MAX_FILTER_CHARS
from gateway.federation.planner.dialect import READ
from gateway.federation.planner.functions import (
    AGGREGATES,
    CASTS,
    CONDITIONAL,
    DATETIME,
    MATH,
    STRING,
    WINDOW,
    function_name,
)

SCALAR_FUNCTIONS = MATH | STRING | DATETIME | CONDITIONAL | CASTS

# Node classes a filter may hold besides allowed functions (sqlglot models AND/OR/NOT
# and the comparisons as nodes of their own).
_NODES: tuple[type[exp.Expr], ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Paren, exp.Tuple,
    exp.And, exp.Or, exp.Not, exp.Xor,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ,
    exp.In, exp.Between, exp.Is, exp.Like, exp.ILike, exp.Escape,
    exp.Neg, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.DPipe,
    exp.DataType, exp.DataTypeParam, exp.Interval, exp.If,
)  # fmt: skip


class RowFilterInvalid(ValueError):
    """A contract's row filter breaks the rules; the message says which one."""


def checked_filter(text: str, table: CatalogTable, alias: str) -> exp.Expr:
    """The condition ``text`` over ``table``'s declared columns, qualified by ``alias``.

    >>> from gateway.federation.catalog import CatalogColumn
    >>> t = CatalogTable("d.p.t", "d", "p", "t", "id", "c", "1.0.0",
    ...                  (CatalogColumn("Country", "string", None),), {})
    >>> checked_filter("country IN ('FR', 'US')", t, "t").sql("trino")
    '"t"."Country" IN (\\'FR\\', \\'US\\')'
    >>> checked_filter("country = 'FR'; DROP TABLE x", t, "t")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gateway...RowFilterInvalid: a row filter is one condition, not several statements
    """
    declared = tuple(c.name for c in table.columns)
    condition = _parsed(text, declared).copy()
    for column in list(condition.find_all(exp.Column)):
        name = table.column(column.name)
        assert name is not None  # checked by _parsed
        column.replace(exp.column(name.name, table=alias, quoted=True))
    return condition


@cache
def _parsed(text: str, declared: tuple[str, ...]) -> exp.Expr:
    if len(text) > MAX_FILTER_CHARS:
        raise RowFilterInvalid(f"a row filter is longer than {MAX_FILTER_CHARS} characters")
    try:
        statements = sqlglot.parse(text, read=READ)
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RowFilterInvalid(f"the row filter does not parse: {first}") from None
    except RecursionError:
        raise RowFilterInvalid("the row filter nests too deeply") from None
    found = [s for s in statements if s is not None]
    if len(found) != 1 or len(statements) != 1:
        raise RowFilterInvalid("a row filter is one condition, not several statements")
    condition = found[0]
    names = {n.lower() for n in declared}
    for node in condition.walk():
        _check_node(node, names)
    return condition


def _check_node(node: exp.Expr, declared: set[str]) -> None:
    if isinstance(node, exp.Column):
        if node.table or len(node.parts) != 1:
            raise RowFilterInvalid(f"row filter columns are unqualified: {node.sql(READ)}")
        if node.name.lower() not in declared:
            raise RowFilterInvalid(f"the row filter names an undeclared column: {node.name}")
        return
    if isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest")):
        raise RowFilterInvalid("a row filter cannot hold a subquery")
    if isinstance(node, exp.Query | exp.Subquery | exp.Table | exp.Exists):
        raise RowFilterInvalid("a row filter cannot hold a subquery or name a table")
    if isinstance(node, exp.Var) and isinstance(node.parent, exp.Func):
        return  # a keyword argument of a function: EXTRACT(YEAR FROM d), DATE_TRUNC units
    if isinstance(node, _NODES):
        return
    if isinstance(node, exp.Func):
        name = function_name(node)
        if name in AGGREGATES or name in WINDOW:
            raise RowFilterInvalid(f"a row filter cannot aggregate or use a window: {name}")
        if name not in SCALAR_FUNCTIONS:
            raise RowFilterInvalid(f"function {name} is not allowed in a row filter")
        return
    raise RowFilterInvalid(f"a row filter cannot hold {node.key.upper()}")
