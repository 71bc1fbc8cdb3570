"""``integer / integer`` truncates, on both engines.

The mesh's SQL is Trino's dialect, where dividing two integers gives an integer truncated
toward zero (``7 / 2 = 3``, ``-7 / 2 = -3``); DuckDB's ``/`` is always a float division
(``3.5``). So a division whose operands are both integers (types from
:mod:`~gateway.federation.planner.column_types`) becomes DuckDB's integer division ``//``,
which truncates toward zero as well. Trino's SQL keeps ``/``. A division with a ``DOUBLE``
or ``DECIMAL`` operand (``sum(x) / 25.4``, ``CAST(a AS DOUBLE) / b``) is not touched.
"""

from __future__ import annotations

from sqlglot import exp

_INTEGERS = exp.DataType.INTEGER_TYPES


def integer_division(tree: exp.Expr, engine: str) -> exp.Expr:
    """``tree`` (types annotated) with integer divisions written for ``engine``.

    >>> import sqlglot
    >>> from sqlglot.optimizer.annotate_types import annotate_types
    >>> tree = annotate_types(sqlglot.parse_one("SELECT 7 / 2, 7.0 / 2", read="trino"))
    >>> integer_division(tree, "duckdb").sql("duckdb")
    'SELECT 7 // 2, 7.0 / 2'
    """
    if engine != "duckdb":
        return tree
    for node in list(tree.find_all(exp.Div)):
        if node.left.is_type(*_INTEGERS) and node.right.is_type(*_INTEGERS):
            whole = exp.IntDiv(this=node.left, expression=node.right)
            whole.type = node.type
            node.replace(whole)
    return tree
