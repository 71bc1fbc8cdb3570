"""SQL quality rules (``type: sql``), run only after they are checked and rewritten.

A contract's SQL rule is text its author wrote for the server's dialect, and a product
folder is third-party input: the kit never runs that text as it is. It parses it with
sqlglot in the store's dialect and accepts one query (no locking, no ``INTO``) whose
every node is on the allow-list of :mod:`productkit.sqlallow` and whose tables are
all tables the rule's own contract declares, held by the same store, or CTEs visible in
their scope. It then replaces each table name with the store's own relation (a Parquet
reader, a qualified table) and renders the tree in the store's dialect. The store runs
it under a time limit, in a read-only transaction where it has them.

``${table}`` and ``${column}`` (also ``${object}`` / ``${property}``) stand for the rule's
table and column; they are filled in as quoted identifiers before parsing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from productkit.sqlallow import refusal
from productkit.stores.base import Store
from productkit.tables import Column, Table

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

    ``tables`` are the tables the rule may read (its contract's, held by ``store``), by
    name.
    """
    dialect = store.dialect
    tree = _parse(_fill(query, table, column, dialect), dialect)
    replaced: list[tuple[exp.Table, Table]] = []
    for ref in list(tree.find_all(exp.Table)):
        plain = isinstance(ref.this, exp.Identifier) and not ref.args.get("db")
        plain = plain and not ref.args.get("catalog")
        if plain and _names_a_cte(ref, dialect):
            continue
        target = tables.get(ref.name) if plain else None
        if target is None:
            raise RuleRefused(
                f"the query reads {ref.sql(dialect=dialect)}, which is not a table "
                "of this contract in the same store"
            )
        replaced.append((ref, target))
    for node in tree.walk():
        reason = refusal(node)
        if reason is not None:
            raise RuleRefused(reason)
    for ref, target in replaced:
        ref.replace(exp.alias_(store.relation(target), ref.alias or ref.name, table=True))
    return tree


def _names_a_cte(ref: exp.Table, dialect: str) -> bool:
    """Whether ``ref`` names a CTE visible where it stands (why per scope: a CTE declared
    in one subquery must not let the same name through elsewhere, where it is a table)."""
    name = _key(ref.this, dialect)
    node: exp.Expr = ref
    while node.parent is not None:
        parent = node.parent
        if isinstance(parent, exp.With):
            # Inside a CTE: the CTEs before it are visible (and itself when recursive).
            ctes = list(parent.expressions)
            here = next((i for i, c in enumerate(ctes) if c is node), len(ctes))
            seen = ctes[: here + (1 if parent.args.get("recursive") else 0)]
            if any(_key(c.args["alias"].this, dialect) == name for c in seen):
                return True
            if parent.parent is None:
                return False
            node = parent.parent  # the query owning this WITH: its CTEs are done
            continue
        with_ = parent.args.get("with_") if isinstance(parent, exp.Query) else None
        if isinstance(with_, exp.With) and node is not with_ and _declares(with_, name, dialect):
            return True
        node = parent
    return False


def _declares(with_: exp.With, name: str, dialect: str) -> bool:
    return any(_key(c.args["alias"].this, dialect) == name for c in with_.expressions)


def _key(identifier: exp.Expr, dialect: str) -> str:
    """An identifier as the store resolves it (unquoted names folded per dialect)."""
    return str(normalize_identifiers(identifier.copy(), dialect=dialect).name)


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
    if tree.find(exp.Lock) is not None:
        raise RuleRefused("a SQL rule may not lock rows (FOR UPDATE / FOR SHARE)")
    return tree
