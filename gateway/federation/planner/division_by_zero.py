"""Dividing an integer or a decimal by zero fails, on both engines.

The mesh's SQL is Trino's dialect, where ``x / 0`` and ``x % 0`` (``mod(x, 0)``) fail with
"Division by zero" when both operands are exact numbers (integers or decimals), and answer
NULL when either operand is NULL; a ``DOUBLE`` or ``REAL`` division answers ``Infinity`` or
``NaN`` instead. DuckDB answers NULL for an integer division or modulo by zero and
``Infinity`` for a decimal one. So, for DuckDB, each exact division or modulo whose divisor is
not a non-zero number literal becomes::

    CASE WHEN divisor = 0 AND dividend IS NOT NULL THEN error('Division by zero')
         ELSE dividend / divisor END

DuckDB evaluates a CASE branch only for the rows that take it, so the other rows divide as
before. Both operands are written twice: a chain of divisions by expressions doubles at each
level, so the nodes the guards add are counted and a statement whose guards would add more
nodes than a statement may have (``max_nodes``) is refused as too large.
Types come from :mod:`~gateway.federation.planner.column_types` (a decimal literal such as
``7.5`` is a ``DECIMAL``, as in Trino); a division whose operand type is unknown is left as
it is.
"""

from __future__ import annotations

from sqlglot import exp

from gateway.errors import SqlTooLarge

MESSAGE = "Division by zero"
"""The message of the planner-written ``error(...)``: Trino's own words."""

_EXACT = exp.DataType.INTEGER_TYPES | {
    exp.DType.DECIMAL,
    exp.DType.DECIMAL32,
    exp.DType.DECIMAL64,
    exp.DType.DECIMAL128,
    exp.DType.DECIMAL256,
    exp.DType.BIGDECIMAL,
    exp.DType.UDECIMAL,
}
_DIVISIONS = (exp.Div, exp.IntDiv, exp.Mod)


def division_by_zero(tree: exp.Expr, engine: str, *, max_added_nodes: int) -> exp.Expr:
    """``tree`` (types annotated) where an exact division by zero fails on ``engine`` too.

    >>> import sqlglot
    >>> from sqlglot.optimizer.annotate_types import annotate_types
    >>> tree = annotate_types(sqlglot.parse_one("SELECT 7 % 0, 7 / 2, 1e0 / 0", read="trino"))
    >>> division_by_zero(tree, "duckdb", max_added_nodes=100).selects[0].sql("duckdb")
    "CASE WHEN 0 = 0 AND NOT 7 IS NULL THEN ERROR('Division by zero') ELSE 7 % 0 END"
    >>> [s.sql("trino") for s in tree.selects[1:]]
    ['7 / 2', '1e0 / 0']
    """
    if engine != "duckdb":
        return tree
    added = 0
    not_null: dict[int, exp.Expr] = {}  # id of a guard -> when its quotient is not NULL
    # Reversed pre-order: every division is guarded before the division it is part of,
    # so a guard's copies carry their operands' guards.
    for node in reversed(list(tree.walk(bfs=False))):
        if not isinstance(node, _DIVISIONS) or not _needs_guard(node):
            continue
        left, right = node.args["this"], node.args["expression"]
        left_not_null = _not_null(left, not_null)
        added += _size(right) + _size(left_not_null) + 8
        if added > max_added_nodes:
            raise SqlTooLarge(
                "the statement divides by too many nested expressions to be guarded"
                " against division by zero",
                limit="max_nodes",
            )
        zero = exp.and_(
            exp.EQ(this=_operand(right), expression=exp.Literal.number(0)),
            left_not_null,
            copy=False,
        )
        fail = exp.Anonymous(this="error", expressions=[exp.Literal.string(MESSAGE)])
        guard = exp.Case(ifs=[exp.If(this=zero, true=fail)])
        guard.type = node.type
        # A quotient is NULL exactly when an operand is (a zero divisor fails instead):
        # the guard of a division by this one tests these operands, not a copy of this
        # whole CASE, so a chain ``a / b / c ...`` grows linearly, not twice per level.
        not_null[id(guard)] = exp.and_(
            _not_null(left, not_null), _not_null(right, not_null), copy=False
        )
        node.replace(guard)
        guard.set("default", node)
    return tree


def _needs_guard(node: exp.Expr) -> bool:
    """Whether ``node`` is an exact division whose divisor may be zero."""
    left, right = node.args["this"], node.args["expression"]
    if not (_exact(left) and _exact(right)):
        return False
    divisor = right.unnest()
    if isinstance(divisor, exp.Literal) and divisor.is_number:
        return float(divisor.this) == 0.0
    return True


def _exact(node: exp.Expr) -> bool:
    return node.type is not None and node.type.this in _EXACT


def _not_null(node: exp.Expr, known: dict[int, exp.Expr]) -> exp.Expr:
    """A condition true exactly when ``node`` is not NULL (``known``: for the guards)."""
    condition = known.get(id(node.unnest()))
    if condition is not None:
        return condition.copy()
    return exp.Not(this=exp.Is(this=_operand(node), expression=exp.Null()))


def _operand(node: exp.Expr) -> exp.Expr:
    """A copy of ``node``, in parentheses unless it is a single term."""
    if isinstance(node, (exp.Column, exp.Literal, exp.Paren, exp.Func, exp.Case)):
        return node.copy()
    return exp.Paren(this=node.copy())


def _size(node: exp.Expr) -> int:
    return sum(1 for _ in node.walk())
