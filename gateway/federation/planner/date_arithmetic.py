"""``date ± interval`` is a ``DATE``, on both engines.

In the mesh's dialect (Trino's), a date plus or minus an interval of days, weeks, months,
quarters or years is a date (``DATE '2025-11-24' + INTERVAL '7' DAY`` is
``DATE '2025-12-01'``), and so is ``date_add('day', 7, d)``; DuckDB makes a ``TIMESTAMP``
of both (``2025-12-01 00:00:00``). So on DuckDB the result is cast back to ``DATE``.

Hours, minutes or seconds added to a date have no date answer: Trino fails the query at
run time ("Cannot add hour, minutes or seconds to a date") where DuckDB would answer a
timestamp, so the planner refuses them on both engines (cast the date to a timestamp
first). Types come from :mod:`~gateway.federation.planner.column_types`.
"""

from __future__ import annotations

from sqlglot import exp

from gateway.errors import SqlNotAllowed

_WHOLE_DAYS = frozenset({"DAY", "WEEK", "MONTH", "QUARTER", "YEAR"})
_PART_OF_DAY = frozenset({"HOUR", "MINUTE", "SECOND", "MILLISECOND", "MICROSECOND"})
_REFUSED = "hours, minutes or seconds cannot be added to a DATE: CAST it AS TIMESTAMP first"


def date_arithmetic(tree: exp.Expr, engine: str) -> exp.Expr:
    """``tree`` (types annotated) with date ± interval typed ``DATE`` on ``engine``.

    >>> import sqlglot
    >>> from sqlglot.optimizer.annotate_types import annotate_types
    >>> sql = "SELECT DATE '2025-11-24' + INTERVAL '7' DAY"
    >>> tree = annotate_types(sqlglot.parse_one(sql, read="trino"))
    >>> date_arithmetic(tree, "duckdb").sql("duckdb")
    "SELECT CAST(CAST('2025-11-24' AS DATE) + INTERVAL '7' DAY AS DATE)"
    """
    found: list[tuple[exp.Expr, str]] = []
    for node in tree.find_all(exp.Add, exp.Sub, exp.DateAdd, exp.DateSub):
        if isinstance(node, (exp.DateAdd, exp.DateSub)):
            if node.this.is_type(exp.DType.DATE):
                found.append((node, _unit(node.args.get("unit"))))
            continue
        assert isinstance(node, exp.Binary)
        date, other = _date_and_interval(node)
        if date is not None and isinstance(other, exp.Interval):
            found.append((node, _unit(other.args.get("unit"))))
    for shifted, unit in reversed(found):  # inner first: an outer copy keeps the inner cast
        if unit in _PART_OF_DAY:
            raise SqlNotAllowed(_REFUSED)
        if engine == "duckdb" and unit in _WHOLE_DAYS and shifted.parent is not None:
            shifted.replace(exp.cast(shifted.copy(), exp.DType.DATE))
    return tree


def _date_and_interval(node: exp.Binary) -> tuple[exp.Expr | None, exp.Expr]:
    if node.left.is_type(exp.DType.DATE):
        return node.left, node.right
    if isinstance(node, exp.Add) and node.right.is_type(exp.DType.DATE):
        return node.right, node.left
    return None, node.right


def _unit(unit: object) -> str:
    """``DAY`` for ``Var(DAY)``, ``DAYS``, ``'day'``; ``""`` when there is none."""
    name = unit.name if isinstance(unit, exp.Expr) else str(unit or "")
    name = name.upper()
    return name[:-1] if name.endswith("S") else name
