"""The types a statement's expressions have, from the contracts' logical types.

Some operators mean different things on the two engines depending on their operands'
types (``integer / integer``, ``date + interval``): the rewrites that make them agree
(:mod:`~gateway.federation.planner.integer_division`,
:mod:`~gateway.federation.planner.date_arithmetic`) need those types. They come from the
contract, not from a store: every column has the type its ``logicalType`` promises (what
:mod:`~gateway.federation.planner.logical_types` makes each engine read), and sqlglot's
type annotation carries them through expressions, subqueries and CTEs.

The annotations are removed again (:func:`clear_types`) once the rewrites are done, so the
engine SQL is rendered from the tree as written, and only the rewrites change it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.schema import MappingSchema

from gateway.federation.catalog import CatalogColumn, CatalogTable
from gateway.federation.planner.dialect import READ
from gateway.federation.planner.tables import TableKey

_LOGICAL = {
    "integer": "BIGINT",
    "number": "DOUBLE",
    "string": "VARCHAR",
    "boolean": "BOOLEAN",
    "date": "DATE",
}

# The nodes whose meaning the rewrites decide from their operands' types.
_TYPED_OPERATORS = (exp.Div, exp.Mod, exp.Interval, exp.DateAdd, exp.DateSub)


def logical_sql_type(column: CatalogColumn) -> str:
    """The SQL type ``column`` has for the planner (``UNKNOWN`` when the contract says
    nothing the rewrites use).

    >>> logical_sql_type(CatalogColumn("year_built", "integer", "integer"))
    'BIGINT'
    >>> logical_sql_type(CatalogColumn("t", "timestamp", "timestamp with time zone"))
    'TIMESTAMPTZ'
    >>> logical_sql_type(CatalogColumn("x", "object", None))
    'UNKNOWN'
    """
    logical = (column.logical_type or "").lower()
    if logical == "timestamp":
        physical = (column.physical_type or "").lower()
        zoned = "zone" in physical or physical.startswith("timestamptz")
        return "TIMESTAMPTZ" if zoned else "TIMESTAMP"
    return _LOGICAL.get(logical, "UNKNOWN")


def annotate_logical_types(tree: exp.Expr, tables: Mapping[TableKey, CatalogTable]) -> exp.Expr:
    """``tree`` (columns qualified, logical table names) with every node's type set.

    Annotating costs about a millisecond per statement: a statement without any operator
    whose meaning the rewrites decide from types (a division, an interval, ``date_add``)
    is returned as it is.
    """
    if tree.find(*_TYPED_OPERATORS) is None:
        return tree
    nested: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for (domain, product, name), table in tables.items():
        columns = {c.name: logical_sql_type(c) for c in table.columns}
        nested.setdefault(domain, {}).setdefault(product, {})[name] = columns
    mapping: dict[str, object] = dict(nested)
    return annotate_types(
        tree,
        schema=MappingSchema(mapping, dialect=READ),
        expression_metadata=_METADATA,
        dialect=READ,
    )


def _annotate_literal(annotator: Any, literal: exp.Literal) -> exp.Literal:
    """sqlglot types ``7.5`` as ``DOUBLE``; in Trino it is a ``DECIMAL`` (``7.5e0`` is the
    ``DOUBLE``), and a decimal divided by zero fails where a double gives Infinity."""
    annotator._annotate_literal(literal)
    text = literal.this if isinstance(literal.this, str) else ""
    if literal.is_number and "." in text and "e" not in text.lower():
        literal.type = exp.DataType.build("DECIMAL")
    return literal


_METADATA = {
    **Dialect.get_or_raise(READ).EXPRESSION_METADATA,
    exp.Literal: {"annotator": _annotate_literal},
}


def clear_types(tree: exp.Expr) -> exp.Expr:
    """``tree`` without type annotations (sqlglot's generators read them)."""
    for node in tree.walk():
        node.type = None
    return tree
