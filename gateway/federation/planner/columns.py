"""Columns: only the columns a table's contract declares exist for the caller.

sqlglot's ``qualify`` resolves every column reference against a schema made of the
declared columns only (through aliases, CTEs, subqueries, USING and NATURAL joins) and
expands ``*`` and ``t.*`` to the declared columns, so an undeclared physical column is never
named and never read. Then every reference must belong to a source of its scope (or of an
enclosing scope, for correlated subqueries); the columns read from each table are recorded.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.schema import MappingSchema

from gateway.errors import ColumnNotFound, SqlInvalid, SqlNotAllowed, SqlTooLarge
from gateway.federation.catalog import CatalogTable
from gateway.federation.planner.dialect import READ
from gateway.federation.planner.tables import TableKey, table_key


def qualify_columns(
    tree: exp.Expr, tables: Mapping[TableKey, CatalogTable]
) -> tuple[exp.Expr, dict[TableKey, tuple[str, ...]]]:
    """``tree`` with every column qualified and every star expanded, plus the declared
    columns it reads from each table (the contract's spelling, in contract order).
    """
    mapping: dict[str, object] = {}
    for (domain, product, name), table in tables.items():
        columns = {c.name: "UNKNOWN" for c in table.columns}
        products = mapping.setdefault(domain, {})
        assert isinstance(products, dict)
        products.setdefault(product, {})[name] = columns
    schema = MappingSchema(mapping, dialect=READ)
    _check_qualified(tree, tables, before=True)
    try:
        tree = qualify(
            tree,
            schema=schema,
            dialect=READ,
            expand_stars=True,
            validate_qualify_columns=False,
            quote_identifiers=True,
        )
    except OptimizeError as exc:
        raise ColumnNotFound(f"{exc}") from None
    except RecursionError:
        raise SqlTooLarge("the statement nests too deeply", limit="max_depth") from None
    _check_stars(tree)
    return tree, _check_qualified(tree, tables, before=False)


def _check_qualified(
    tree: exp.Expr, tables: Mapping[TableKey, CatalogTable], *, before: bool
) -> dict[TableKey, tuple[str, ...]]:
    """Refuse references to undeclared columns; the columns read, per table."""
    used: dict[TableKey, set[str]] = {key: set() for key in tables}
    for scope in traverse_scope(tree):
        for column in scope.columns:
            if not column.table:
                if _output_name(scope, column):
                    continue  # ORDER BY of a UNION names the union's output columns
                if not before:
                    _unresolved(column, scope, tables)
                continue
            source = _source(scope, column.table)
            if source is None:
                if before:
                    continue  # qualify may still resolve it (a USING column, an outer alias)
                raise ColumnNotFound(
                    f"column {column.sql(dialect=READ)} names no table or alias of its query",
                    column=column.name,
                )
            if isinstance(source, exp.Table):
                key = table_key(source)
                table = tables.get(key) if key is not None else None
                if table is None:
                    continue  # a CTE referenced by name: its own scope is checked
                declared = table.column(column.name)
                if declared is None:
                    raise _not_declared(column.name, table)
                used[key].add(declared.name)  # type: ignore[index]
    return {
        key: tuple(c.name for c in tables[key].columns if c.name in names)
        for key, names in used.items()
    }


def _output_name(scope: Scope, column: exp.Column) -> bool:
    query = scope.expression
    return isinstance(query, exp.SetOperation) and column.name in query.named_selects


def _source(scope: Scope, name: str) -> exp.Expr | Scope | None:
    current: Scope | None = scope
    while current is not None:
        if name in current.sources:
            found: exp.Expr | Scope = current.sources[name]
            return found
        current = current.parent
    return None


def _unresolved(column: exp.Column, scope: Scope, tables: Mapping[TableKey, CatalogTable]) -> None:
    """An unqualified column left by qualify: ambiguous, or declared by no table in scope."""
    in_scope = [
        tables[key]
        for source in scope.sources.values()
        if isinstance(source, exp.Table)
        and (key := table_key(source)) is not None
        and key in tables
    ]
    owners = [t for t in in_scope if t.column(column.name) is not None]
    if len(owners) > 1:
        names = ", ".join(t.logical for t in owners)
        raise SqlInvalid(
            f"column {column.name} is ambiguous: it is declared by {names}; "
            "qualify it with a table alias",
            column=column.name,
        )
    if len(in_scope) == 1:
        raise _not_declared(column.name, in_scope[0])
    declared = sorted({c.name for t in in_scope for c in t.columns})
    hint = difflib.get_close_matches(column.name, declared, n=3, cutoff=0.6)
    raise ColumnNotFound(
        f"column {column.name} does not exist"
        + (f"; did you mean {', '.join(hint)}?" if hint else ""),
        column=column.name,
        suggestions=hint,
    )


def _not_declared(name: str, table: CatalogTable) -> ColumnNotFound:
    declared = [c.name for c in table.columns]
    hint = difflib.get_close_matches(name, declared, n=3, cutoff=0.6)
    return ColumnNotFound(
        f"column {name} is not declared by the contract of {table.logical} "
        f"{table.contract_version}"
        + (f"; did you mean {', '.join(hint)}?" if hint else "")
        + f" (declared: {', '.join(declared)})",
        column=name,
        table=table.logical,
        suggestions=hint,
    )


def _check_stars(tree: exp.Expr) -> None:
    """After expansion a star may only remain inside ``COUNT(*)``."""
    for star in tree.find_all(exp.Star):
        if not isinstance(star.parent, exp.Count):
            raise SqlNotAllowed("a * that cannot be expanded to declared columns")
