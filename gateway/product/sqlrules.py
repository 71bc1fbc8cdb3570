"""SQL quality rules (``type: sql``), run only after they are checked and rewritten.

A contract's SQL rule is text its author wrote for the server's dialect. The kit never
runs that text as it is: it parses it with sqlglot, accepts one read-only query whose
tables are all tables of this product held by the same store (or its own CTEs), and
replaces each table name with the store's own relation (a Parquet reader, a qualified
table) before rendering the tree in the store's dialect.

``${table}`` and ``${column}`` (also ``${object}`` / ``${property}``) stand for the rule's
table and column; they are filled in as quoted identifiers before parsing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from gateway.product.stores.base import Store
from gateway.product.tables import Column, Table

_PLACEHOLDER = re.compile(r"\$\{(table|object|model|column|property|field)\}")
_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter,
           exp.Command, exp.Set)  # fmt: skip


class RuleRefused(Exception):
    """The SQL rule cannot be run safely here; ``str(exc)`` says why."""


def prepare(
    query: str,
    table: Table,
    column: Column | None,
    tables: Mapping[str, Table],
    store: Store,
) -> exp.Query:
    """The rule's query as a tree over ``store``'s relations; raise :class:`RuleRefused`.

    ``tables`` are the product's tables held by ``store``, by name.
    """
    tree = _parse(_fill(query, table, column, store.dialect), store.dialect)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for ref in list(tree.find_all(exp.Table)):
        plain = isinstance(ref.this, exp.Identifier) and not ref.args.get("db")
        if plain and not ref.args.get("catalog") and ref.name in ctes:
            continue
        target = tables.get(ref.name) if plain and not ref.args.get("catalog") else None
        if target is None:
            raise RuleRefused(
                f"the query reads {ref.sql(dialect=store.dialect)}, which is not a table "
                "of this product in the same store"
            )
        ref.replace(exp.alias_(store.relation(target), ref.alias or ref.name, table=True))
    return tree


def _fill(query: str, table: Table, column: Column | None, dialect: str) -> str:
    def name(match: re.Match[str]) -> str:
        if match.group(1) in ("table", "object", "model"):
            return exp.to_identifier(table.name, quoted=True).sql(dialect=dialect)
        if column is None:
            raise RuleRefused(f"{match.group(0)} is used in a rule that is not on a column")
        return exp.to_identifier(column.physical_name, quoted=True).sql(dialect=dialect)

    return _PLACEHOLDER.sub(name, query)


def _parse(text: str, dialect: str) -> exp.Query:
    try:
        statements = sqlglot.parse(text, read=dialect)
    except SqlglotError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RuleRefused(f"the query does not parse as {dialect} SQL: {first}") from None
    found = [s for s in statements if s is not None]
    if len(found) != 1 or not isinstance(found[0], exp.Query):
        raise RuleRefused("a SQL rule must be one SELECT query")
    tree = found[0]
    if tree.find(*_WRITES) is not None:
        raise RuleRefused("a SQL rule must only read")
    return tree
