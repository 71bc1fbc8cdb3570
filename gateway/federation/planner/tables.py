"""Table names: ``domain.product.table`` resolves to a table of the catalog, or is refused.

A one-part name is a CTE visible where it is written (see ``ctes``) or refused: a quoted
file path is not a table, and neither is anything else. Names of system and metadata
schemas (``system.runtime.nodes``, ``information_schema``) are refused as such. An unknown
name gets up to three suggestions ("did you mean") among the names of the catalog, found
with difflib.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from sqlglot import exp

from gateway.errors import SqlNotAllowed, TableNotFound, TableUnavailable
from gateway.federation.catalog import Catalog, CatalogTable
from gateway.federation.planner.ctes import check_recursive, visible_ctes
from gateway.federation.planner.logical_types import read_stored

TableKey = tuple[str, str, str]
"""(domain, product, table as written, with ``@version`` if any), lower-case."""

_SYSTEM = frozenset({"system", "information_schema", "pg_catalog", "sys", "mysql",
                     "performance_schema", "sqlite_master", "duckdb_tables"})  # fmt: skip
_PATH_CHARS = frozenset("/\\~:*?")


def table_key(node: exp.Table) -> TableKey | None:
    """The lower-case ``(domain, product, table)`` of a three-part table name."""
    parts = node.parts
    if len(parts) != 3 or not all(isinstance(p, exp.Identifier) for p in parts):
        return None
    domain, product, table = (str(p.name).lower() for p in parts)
    return domain, product, table


def resolve_tables(tree: exp.Expr, catalog: Catalog) -> dict[TableKey, CatalogTable]:
    """Every logical table ``tree`` reads, by key; refuse anything else named as a table."""
    check_recursive(tree)
    found: dict[TableKey, CatalogTable] = {}
    for node in tree.find_all(exp.Table):
        if isinstance(node.this, exp.Dot):
            written = node.sql(dialect="trino")
            raise TableNotFound(f"table {written} does not exist (name tables as "
                                "domain.product.table)", suggestions=[])  # fmt: skip
        if not isinstance(node.this, exp.Identifier):
            called = node.this.sql(dialect="trino")
            raise SqlNotAllowed(f"table functions are not allowed: {called}")
        alias = node.args.get("alias")
        if isinstance(alias, exp.TableAlias) and alias.columns:
            # Positional names would apply to the store's columns, declared or not.
            raise SqlNotAllowed(
                "column aliases on a table (t(a, b)) are not supported: alias the columns "
                "in the SELECT list"
            )
        parts = [str(p.name) for p in node.parts]
        written = ".".join(parts)
        if len(parts) == 1 and parts[0].lower() in visible_ctes(node):
            continue
        key = table_key(node)
        table = catalog.get(".".join(key)) if key is not None else None
        if table is None:
            _refuse(parts, written, catalog)
        assert key is not None and table is not None
        found[key] = table
        # Spell the name as the catalog does, so later rules meet one spelling.
        node.set("catalog", exp.to_identifier(key[0], quoted=True))
        node.set("db", exp.to_identifier(key[1], quoted=True))
        node.set("this", exp.to_identifier(key[2], quoted=True))
        if not node.alias:
            # Columns are qualified by the table's own name, never by "name@version".
            plain = key[2].split("@")[0]
            node.set("alias", exp.TableAlias(this=exp.to_identifier(plain, quoted=True)))
    return found


def physical_tables(
    tree: exp.Expr, tables: Mapping[TableKey, CatalogTable], engine: str
) -> exp.Expr:
    """``tree`` with each logical table replaced by where ``engine`` reads it.

    Unless the location already exposes exactly the contract's columns under their names
    (``logical_columns``: DuckDB's views), the table is read through a subquery that
    selects the declared columns (and only them) under their logical names: an
    undeclared physical column is then out of reach of the engine's own name resolution
    (Trino binds an unqualified name in HAVING or ORDER BY to the physical table) even if
    a check of the planner missed a reference. Each column is read as its logical type
    there (:mod:`~gateway.federation.planner.logical_types`).
    """
    for node in list(tree.find_all(exp.Table)):
        key = table_key(node)
        if key is None or key not in tables:
            continue
        table = tables[key]
        location = table.locations.get(engine)
        if location is None and engine in table.unavailable:
            reason = table.unavailable[engine]
            raise TableUnavailable(
                f"{table.logical} is unavailable on {engine}: {reason}",
                product_id=table.product_id, table=table.logical, engine=engine, reason=reason,
            )  # fmt: skip
        if location is None:
            raise SqlNotAllowed(f"{table.logical} cannot be read by the {engine} engine")
        alias = node.alias or table.table
        physical = _table(location.parts)
        if location.logical_columns:
            node.replace(exp.alias_(physical, alias, table=True, quoted=True))
            continue
        projection = [
            exp.alias_(read_stored(c, engine), c.name, quoted=True) for c in table.columns
        ]
        renamed = exp.select(*projection).from_(physical)
        node.replace(exp.alias_(renamed.subquery(), alias, table=True, quoted=True))
    return tree


def _table(parts: tuple[str, ...]) -> exp.Table:
    identifiers = [exp.to_identifier(p, quoted=True) for p in parts]
    this = identifiers[-1]
    db = identifiers[-2] if len(identifiers) > 1 else None
    catalog = identifiers[-3] if len(identifiers) > 2 else None
    return exp.Table(this=this, db=db, catalog=catalog)


def _refuse(parts: list[str], written: str, catalog: Catalog) -> None:
    if len(parts) == 1 and (_PATH_CHARS & set(parts[0]) or "." in parts[0]):
        raise SqlNotAllowed(f"file paths are not tables: {written}")
    if any(p.lower() in _SYSTEM for p in parts[:-1]) or parts[-1].lower() in _SYSTEM:
        raise SqlNotAllowed(f"system and metadata tables are not available: {written}")
    names = _names(catalog, versioned="@" in written)
    suggestions = difflib.get_close_matches(written.lower(), names, n=3, cutoff=0.6)
    if not suggestions and parts:
        # A wrong domain or product: suggest the tables of the same name.
        suggestions = [n for n in names if n.split("@")[0].endswith("." + parts[-1].lower())][:3]
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    shape = "" if len(parts) == 3 else " (name tables as domain.product.table)"
    raise TableNotFound(f"table {written} does not exist{shape}{hint}", suggestions=suggestions)


def _names(catalog: Catalog, *, versioned: bool) -> list[str]:
    if versioned:
        return sorted({t.versioned for t in catalog.tables()})
    return sorted({t.logical for t in catalog.tables()})
