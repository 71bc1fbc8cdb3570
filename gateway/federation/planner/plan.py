"""``plan``: one statement checked rule by rule, then rewritten for one engine."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from gateway.errors import GatewayError, SqlInvalid, SqlNotAllowed, SqlTooLarge
from gateway.federation.catalog import Catalog, CatalogTable
from gateway.federation.planner.access import apply_access
from gateway.federation.planner.column_types import annotate_logical_types, clear_types
from gateway.federation.planner.columns import qualify_columns
from gateway.federation.planner.date_arithmetic import date_arithmetic
from gateway.federation.planner.dialect import ENGINE_DIALECTS, READ
from gateway.federation.planner.division_by_zero import division_by_zero
from gateway.federation.planner.functions import check_functions
from gateway.federation.planner.integer_division import integer_division
from gateway.federation.planner.limits import (
    PlannerLimits,
    check_output,
    check_text,
    check_tree,
)
from gateway.federation.planner.rowcap import apply_row_cap
from gateway.federation.planner.statement import parse_statement
from gateway.federation.planner.tables import physical_tables, resolve_tables
from gateway.federation.planner.transpile import to_engine_sql
from gateway.identity import Principal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableUse:
    """One table a plan reads and the declared columns it reads from it."""

    table: CatalogTable
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """What an engine runs: ``sql`` in its dialect, over physical names.

    ``row_cap`` is the most rows the caller gets; the SQL asks for at most one more, so
    the engine reports truncation when it sees ``row_cap + 1`` rows. ``logical_sql`` is the
    checked statement over logical names (Trino dialect), columns qualified, before the
    access rules. ``masked`` names the columns read masked (``domain.product.table.column``)
    and ``row_filters`` the contract filters applied (``domain.product.table (role): SQL``);
    ``user`` is the subject of the caller it was planned for (``None``: an internal caller).
    ``ordered`` says whether the statement's outermost query has an ORDER BY (its pages are
    only stable then).
    """

    sql: str
    engine: str
    tables: tuple[TableUse, ...]
    row_cap: int | None
    logical_sql: str
    masked: tuple[str, ...] = ()
    row_filters: tuple[str, ...] = ()
    user: str | None = None
    ordered: bool = False

    @property
    def products(self) -> tuple[str, ...]:
        """The ids of the products read, each once, in the order of ``tables``."""
        return tuple(dict.fromkeys(use.table.product_id for use in self.tables))


def plan(
    sql: str,
    catalog: Catalog,
    engine: str,
    *,
    max_rows: int | None,
    limits: PlannerLimits | None = None,
    principal: Principal | None = None,
) -> Plan:
    """Check ``sql`` and rewrite it for ``engine`` ("duckdb" or "trino").

    ``principal`` is the caller: the contracts' access rules (roles, masks, row filters;
    :mod:`~gateway.federation.planner.access`) are applied for it. ``None`` applies none:
    only tests and internal tooling pass ``None``; every request path passes its caller.

    Raises :class:`~gateway.errors.SqlTooLarge`, :class:`~gateway.errors.SqlInvalid`,
    :class:`~gateway.errors.SqlNotAllowed`, :class:`~gateway.errors.TableNotFound`,
    :class:`~gateway.errors.ColumnNotFound` or :class:`~gateway.errors.Forbidden`;
    nothing is executed. Any other exception out of the parser or optimizer is a
    statement the planner cannot handle: it becomes ``SQL_INVALID`` with a generic
    message (one log line, no traceback).

    >>> from gateway.federation.catalog import StaticCatalog
    >>> plan("SELECT 1 AS one", StaticCatalog([]), "duckdb", max_rows=10).sql
    'SELECT\\n  1 AS "one"\\nLIMIT 11'
    """
    if engine not in ENGINE_DIALECTS:
        expected = ", ".join(ENGINE_DIALECTS)
        raise SqlNotAllowed(f"unknown engine {engine!r} (expected one of {expected})")
    limits = limits or PlannerLimits()
    try:
        return _plan(sql, catalog, engine, max_rows=max_rows, limits=limits, principal=principal)
    except GatewayError:
        raise
    except RecursionError:
        raise SqlTooLarge("the statement nests too deeply", limit="max_depth") from None
    except Exception as exc:  # a stray exception of sqlglot: the statement is not plannable
        log.warning("planner refused a statement it could not handle: %s", type(exc).__name__)
        raise SqlInvalid("the statement cannot be planned: rewrite it more simply") from None


def _plan(
    sql: str,
    catalog: Catalog,
    engine: str,
    *,
    max_rows: int | None,
    limits: PlannerLimits,
    principal: Principal | None,
) -> Plan:
    tokens = check_text(sql, limits)
    tree = parse_statement(sql, tokens)
    check_tree(tree, limits)
    tables = resolve_tables(tree, catalog)
    check_functions(tree)
    tree, used = qualify_columns(tree, tables)
    logical_sql = tree.sql(dialect=READ)
    tree, access = apply_access(tree, tables, principal, engine, used)
    # One answer on both engines: operators typed as the mesh's dialect types them.
    tree = annotate_logical_types(tree, tables)
    tree = integer_division(tree, engine)
    tree = division_by_zero(tree, engine, max_added_nodes=limits.max_nodes)
    tree = date_arithmetic(tree, engine)
    tree = clear_types(tree)
    tree = physical_tables(tree, tables, engine)
    ordered = tree.args.get("order") is not None  # before the row cap may wrap the query
    tree = apply_row_cap(tree, max_rows)
    return Plan(
        sql=check_output(to_engine_sql(tree, engine), limits),
        engine=engine,
        tables=tuple(TableUse(tables[key], used[key]) for key in tables),
        row_cap=max_rows,
        logical_sql=logical_sql,
        masked=access.masked,
        row_filters=access.row_filters,
        user=principal.subject if principal is not None else None,
        ordered=ordered,
    )
