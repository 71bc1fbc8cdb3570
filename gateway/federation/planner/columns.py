"""Columns: only the columns a table's contract declares exist for the caller.

sqlglot's ``qualify`` resolves every column reference against a schema made of the
declared columns only (through aliases, CTEs, subqueries, USING and NATURAL joins) and
expands ``*`` and ``t.*`` to the declared columns, so an undeclared physical column is never
named and never read. Then EVERY column node of the tree (not only those sqlglot lists
as a scope's columns: HAVING is not among them) must be a declared column of a table of
its scope (or of an enclosing scope, for correlated subqueries), an output column of a
subquery or CTE, or an output name in ORDER BY; the columns read from each table are
recorded.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import NoReturn

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
    tree = _name_bare_values(tree)
    _check_joins(tree)
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
    """Refuse references to undeclared columns; the columns read, per table.

    Before ``qualify`` only the references sqlglot lists in a scope are checked (an early,
    precise message); after it EVERY column node of the tree must resolve (see
    :func:`_check_column`), wherever it stands (HAVING, ORDER BY, window, join).
    """
    used: dict[TableKey, set[str]] = {key: set() for key in tables}
    seen: set[int] = set()
    for scope in traverse_scope(tree):
        columns: Iterable[exp.Expr] = scope.columns if before else scope.walk()
        for column in columns:
            if not isinstance(column, exp.Column):
                continue
            seen.add(id(column))
            _check_column(column, scope, tables, used, before=before)
    if not before:
        for column in tree.find_all(exp.Column):
            if id(column) not in seen:  # in no scope: nothing says what it reads
                raise ColumnNotFound(
                    f"column {column.sql(dialect=READ)} cannot be resolved", column=column.name
                )
    return {
        key: tuple(c.name for c in tables[key].columns if c.name in names)
        for key, names in used.items()
    }


def _check_column(
    column: exp.Column,
    scope: Scope,
    tables: Mapping[TableKey, CatalogTable],
    used: dict[TableKey, set[str]],
    *,
    before: bool,
) -> None:
    """Accept ``column`` only if it names a declared column of a catalog table, an output
    column of a subquery or CTE of its scope, or (unqualified) an output name of its own
    query in ORDER BY; record the declared columns read."""
    if column.args.get("db") or column.args.get("catalog"):
        if before:
            return  # qualify turns domain.product.table.column into alias.column
        raise ColumnNotFound(
            f"column {column.sql(dialect=READ)}: qualify columns with a table alias",
            column=column.name,
        )
    if not column.table:
        if _output_name(scope, column) or before:
            return  # before: qualify may still resolve it (a USING column, an outer alias)
        _unresolved(column, scope, tables)
    source = _source(scope, column.table)
    if source is None:
        if before:
            return
        raise ColumnNotFound(
            f"column {column.sql(dialect=READ)} names no table or alias of its query",
            column=column.name,
        )
    if isinstance(source, exp.Table):
        key = table_key(source)
        table = tables.get(key) if key is not None else None
        if table is None:
            if before:
                return  # a CTE by name: qualify resolves it
            # Every mesh table is in ``tables`` and every visible CTE is a scope: this
            # name is neither, and the engine would read a relation of its own.
            raise SqlNotAllowed(f"{source.sql(dialect=READ)} is not a table of the mesh")
        declared = table.column(column.name)
        if declared is None:
            raise _not_declared(column.name, table)
        used[key].add(declared.name)  # type: ignore[index]
        return
    if before or not isinstance(source, Scope):
        return  # VALUES and other sources that read no table
    query = source.expression
    if isinstance(query, exp.Query) and not _outputs(query, column.name):
        raise ColumnNotFound(
            f"column {column.sql(dialect=READ)} is not an output column of {column.table}",
            column=column.name,
        )


def _outputs(query: exp.Query, name: str) -> bool:
    """Whether ``query`` has an output column called ``name`` (case-insensitive)."""
    wanted = name.lower()
    return any(str(n).lower() == wanted for n in query.named_selects)


def _output_name(scope: Scope, column: exp.Column) -> bool:
    """An unqualified name that means an output column of its own query: in the ORDER BY
    of a set operation, or in the ORDER BY of a SELECT that has an output of that name.
    Elsewhere (WHERE, HAVING, GROUP BY) an engine may bind it to a table's column."""
    query = scope.expression
    if not isinstance(query, exp.Query) or not _outputs(query, column.name):
        return False
    if isinstance(query, exp.SetOperation):
        return True
    order = column.find_ancestor(exp.Order, exp.Window, exp.WithinGroup, exp.Query)
    return isinstance(order, exp.Order) and order.parent is query


def _source(scope: Scope, name: str) -> exp.Expr | Scope | None:
    current: Scope | None = scope
    while current is not None:
        if name in current.sources:
            found: exp.Expr | Scope = current.sources[name]
            return found
        current = current.parent
    return None


def _unresolved(
    column: exp.Column, scope: Scope, tables: Mapping[TableKey, CatalogTable]
) -> NoReturn:
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


def _check_joins(tree: exp.Expr) -> None:
    """A NATURAL join names its columns itself: with USING or ON as well it is ambiguous
    (sqlglot would keep both and write a join no engine reads the same way)."""
    for join in tree.find_all(exp.Join):
        natural = str(join.args.get("method") or "").upper() == "NATURAL"
        if natural and (join.args.get("using") or join.args.get("on")):
            raise SqlInvalid("a NATURAL join cannot also have USING or ON")


def _name_bare_values(tree: exp.Expr) -> exp.Expr:
    """A statement that is a bare ``VALUES`` read as ``SELECT * FROM (VALUES ...)``, so its
    columns get the planner's ``_col_0``, ``_col_1`` names (the engines name them
    ``col0`` on DuckDB and ``_col0`` on Trino).

    >>> import sqlglot
    >>> _name_bare_values(sqlglot.parse_one("VALUES (1, 2)", read="trino")).sql()
    'SELECT * FROM (VALUES (1, 2)) AS "values"("_col_0", "_col_1")'
    """
    if not isinstance(tree, exp.Values) or not tree.expressions:
        return tree
    first = tree.expressions[0]
    width = len(first.expressions) if isinstance(first, exp.Tuple) else 1
    names = [exp.to_identifier(f"_col_{i}", quoted=True) for i in range(width)]
    tree.set("alias", exp.TableAlias(this=exp.to_identifier("values", quoted=True), columns=names))
    return exp.select(exp.Star()).from_(tree)


def _check_stars(tree: exp.Expr) -> None:
    """After expansion a star may only remain inside ``COUNT(*)``."""
    for star in tree.find_all(exp.Star):
        if not isinstance(star.parent, exp.Count):
            raise SqlNotAllowed("a * that cannot be expanded to declared columns")
