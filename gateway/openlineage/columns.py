"""Column lineage of a planned query: which input columns each answer column comes from.

The planner keeps the checked statement over logical names with every column qualified
and every ``*`` expanded (``Plan.logical_sql``). sqlglot's lineage walks that statement
once (one scope tree, a cache shared by all columns) from each answer column down to the
product table columns it reads, through CTEs, subqueries, joins and set operations. The
result is the OpenLineage ``columnLineage`` facet of the query's output dataset.

Each input field carries one DIRECT transformation whose subtype says how the value got
there: ``IDENTITY`` (passed through as is), ``TRANSFORMATION`` (computed from it) or
``AGGREGATION`` (an aggregate of it), the strongest step on the way; ``masking`` when the
caller was given the column masked. Columns that only filter, join or group (INDIRECT in
OpenLineage's terms) are not listed.

Bounded, so a statement with thousands of columns costs a bounded event: at most
:data:`MAX_OUTPUT_COLUMNS` answer columns are described (the first ones), each with at
most :data:`MAX_INPUT_FIELDS` input fields. A statement sqlglot cannot follow gets no
facet rather than a wrong one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import sqlglot
from openlineage.client.facet_v2 import column_lineage_dataset as cl
from sqlglot import exp
from sqlglot.lineage import Node, lineage
from sqlglot.optimizer.scope import build_scope

from gateway.federation.planner.plan import Plan

log = logging.getLogger(__name__)

MAX_OUTPUT_COLUMNS = 1000
"""Answer columns whose lineage an event describes (the first ones of the answer)."""
MAX_INPUT_FIELDS = 100
"""Input columns listed per answer column."""

IDENTITY, TRANSFORMATION, AGGREGATION = "IDENTITY", "TRANSFORMATION", "AGGREGATION"
_RANK = {IDENTITY: 0, TRANSFORMATION: 1, AGGREGATION: 2}
_DIALECT = "trino"  # the dialect of Plan.logical_sql

_Sources = dict[tuple[str, str], str]  # (table logical name, column) -> subtype


def column_lineage(
    plan: Plan, namespace_of: Mapping[str, str], producer: str
) -> cl.ColumnLineageDatasetFacet | None:
    """The ``columnLineage`` facet of ``plan``'s answer; ``namespace_of`` gives each table's
    dataset namespace by its logical name. None when no answer column reads a table
    column, or the statement is beyond what sqlglot's lineage follows."""
    try:
        per_column = _lineage(plan)
    except (sqlglot.errors.SqlglotError, RecursionError, KeyError, ValueError) as exc:
        log.debug("no column lineage for a query: %s", type(exc).__name__)
        return None
    masked = {m.lower() for m in plan.masked}
    fields: dict[str, cl.Fields] = {}
    for column, sources in per_column.items():
        inputs = [
            cl.InputField(
                namespace=namespace_of.get(table, ""),
                name=table,
                field=field,
                transformations=[
                    cl.Transformation(
                        type="DIRECT",
                        subtype=subtype,
                        masking=f"{table}.{field}".lower() in masked,
                    )
                ],
            )
            for (table, field), subtype in sources.items()
        ]
        if inputs:
            fields[column] = cl.Fields(inputFields=inputs)
    if not fields:
        return None
    return cl.ColumnLineageDatasetFacet(fields=fields, producer=producer)


def _trim(tree: exp.Expr) -> exp.Expr:
    """``tree`` with each branch's select list cut to :data:`MAX_OUTPUT_COLUMNS` (set
    operations pair columns by position, so every branch is cut alike)."""
    if isinstance(tree, exp.SetOperation):
        _trim(tree.left)
        _trim(tree.right)
    elif isinstance(tree, exp.Select) and len(tree.expressions) > MAX_OUTPUT_COLUMNS:
        tree.set("expressions", tree.expressions[:MAX_OUTPUT_COLUMNS])
    return tree


def _lineage(plan: Plan) -> dict[str, _Sources]:
    tables = _tables(plan)
    tree = _trim(sqlglot.parse_one(plan.logical_sql, dialect=_DIALECT))
    scope = build_scope(tree)
    if scope is None:
        return {}
    nodes = lineage(None, tree, {}, dialect=_DIALECT, scope=scope, trim_selects=False, copy=False)
    assert isinstance(nodes, dict)
    memo: dict[int, _Sources] = {}
    found: dict[str, _Sources] = {}
    for name, node in nodes.items():
        sources = _sources(node, tables, memo)
        found.setdefault(name, {}).update(sources)
    return found


@dataclass(frozen=True)
class _Table:
    logical: str
    columns: dict[str, str]  # lower-case name -> declared name


def _tables(plan: Plan) -> dict[str, _Table]:
    """The plan's tables by every spelling the statement may use (with or without
    ``@version``), lower-case."""
    found: dict[str, _Table] = {}
    for use in plan.tables:
        columns = {c.name.lower(): c.name for c in use.table.columns}
        table = _Table(use.table.logical, columns)
        found[use.table.logical.lower()] = table
        found[use.table.versioned.lower()] = table
    return found


def _sources(node: Node, tables: Mapping[str, _Table], memo: dict[int, _Sources]) -> _Sources:
    """The table columns under ``node``, each with the strongest step on its way (memoised
    per node: a column reached by many paths is walked once)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = {}  # a cycle (sqlglot should not make one) ends here
    if isinstance(node.source, exp.Table) and not node.downstream:
        table = tables.get(".".join(p.name for p in node.source.parts).lower())
        column = _column_name(node.name, table)
        found: _Sources = {} if table is None or column is None else {
            (table.logical, column): IDENTITY
        }  # fmt: skip
        memo[key] = found
        return found
    step = IDENTITY if isinstance(node.source, exp.SetOperation) else _step(node.expression)
    found = {}
    for child in node.downstream:
        for source, subtype in _sources(child, tables, memo).items():
            if source not in found and len(found) >= MAX_INPUT_FIELDS:
                continue
            strongest = max(subtype, step, found.get(source, IDENTITY), key=_RANK.__getitem__)
            found[source] = strongest
    memo[key] = found
    return found


def _step(expression: exp.Expr) -> str:
    """How a select expression makes its value from the columns it names."""
    inner = expression.this if isinstance(expression, exp.Alias) else expression
    if isinstance(inner, exp.Column):
        return IDENTITY
    if isinstance(inner, exp.AggFunc) or inner.find(exp.AggFunc) is not None:
        return AGGREGATION
    return TRANSFORMATION


def _column_name(reference: str, table: _Table | None) -> str | None:
    """The declared column of a leaf's reference (``"us_daily"."station_id"``): read
    from its last quoted part when that names a column of ``table`` (cheap), else parsed."""
    if table is None:
        return None
    last = reference.rpartition('"."')[2].strip('"').replace('""', '"')
    if last.lower() not in table.columns:
        try:
            parsed = sqlglot.parse_one(reference, dialect=_DIALECT)
        except sqlglot.errors.SqlglotError:
            return None
        last = parsed.name if isinstance(parsed, exp.Column) else ""
    return table.columns.get(last.lower())
