"""Access from contracts: who may read a table, which columns they see masked, which rows.

A rewrite of the checked tree, before physical names, so every way of asking (GraphQL
``sql``, explain, pages, ``/sql/stream``) is held to the same rules:

* reading a table needs a role its contract grants with ``access: read`` (roles compare
  case-insensitively), or owning the product's domain (``owner:<domain>``), or ``admin``;
  a contract without roles grants nobody else (deny by default); anonymous callers never
  read data. Otherwise :class:`~gateway.errors.Forbidden` names the product and the roles.
* sensitive columns (classified restricted, confidential, sensitive, secret or pii, or
  flagged by the kit's name and tag check) are masked unless the caller owns the domain
  or holds a privileged (``unmasked``) role of the contract;
* a granting role's ``rowFilter`` restricts the rows; a caller with several granting
  roles sees the rows of any of them (OR), and all rows if one has no filter.

Each table is replaced by a subquery over it that projects the declared columns, masks
applied, with the filter as its WHERE, under the table's alias; nothing outside that
subquery ever sees the stored value. ``principal=None`` is trusted internal use (tests,
tooling) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot import exp

from contracts.sensitivity import SENSITIVE_NAME, SENSITIVE_TAGS
from gateway.errors import Forbidden
from gateway.federation.catalog import CatalogColumn, CatalogTable
from gateway.federation.contract_access import ContractRole
from gateway.federation.planner.masks import mask_expression
from gateway.federation.planner.row_filters import RowFilterInvalid, checked_filter
from gateway.federation.planner.tables import TableKey, table_key
from gateway.identity import Principal

SENSITIVE_CLASSES = frozenset({"restricted", "confidential", "sensitive", "secret", "pii"})
READ_ACCESS = "read"


@dataclass(frozen=True)
class TableAccess:
    """What one caller may see of one table: masked columns, the filters of its roles
    (SQL over the declared columns, unqualified; empty: every row)."""

    masked: tuple[str, ...]
    row_filters: tuple[tuple[str, str], ...]  # (role, condition)


@dataclass(frozen=True)
class AccessApplied:
    """What the rewrite did, for the plan: masked columns and filters, fully named."""

    masked: tuple[str, ...] = ()
    row_filters: tuple[str, ...] = ()


def is_sensitive(column: CatalogColumn) -> bool:
    """Whether ``column`` is masked for callers without a privileged role: classified
    sensitive, tagged so, or named like personal data (``criticalDataElement`` alone marks
    importance, not secrecy, and does not mask).

    >>> is_sensitive(CatalogColumn("lat", "number", "double", classification="Restricted"))
    True
    >>> is_sensitive(CatalogColumn("contact_email", "string", None, classification="public"))
    True
    >>> is_sensitive(CatalogColumn("station_id", "string", None, classification="internal"))
    False
    """
    if (column.classification or "").strip().lower() in SENSITIVE_CLASSES:
        return True
    if {t.lower() for t in column.tags} & SENSITIVE_TAGS:
        return True
    return SENSITIVE_NAME.search(column.name.lower()) is not None


def table_access(table: CatalogTable, principal: Principal) -> TableAccess:
    """What ``principal`` may see of ``table``; :class:`Forbidden` when nothing."""
    product = f"{table.domain}.{table.product}"
    owner_role = f"owner:{table.domain.lower()}"
    readers = [r for r in table.roles if r.access == READ_ACCESS]
    if principal.anonymous:
        message = f"anonymous callers cannot read the data of {product}: sign in"
        raise _forbidden(table, readers, set(), message)
    if principal.owns_domain(table.domain):
        return TableAccess(masked=(), row_filters=())
    usable: list[tuple[ContractRole, str | None]] = []
    problems: list[str] = []
    broken = {r.name for r in readers if r.problem is not None}
    for role in readers:  # every reader is judged, so a refusal never names a broken role
        problem = role.problem
        condition = role.row_filter
        if problem is None and condition is not None:
            try:
                checked_filter(condition, table, table.table)
            except RowFilterInvalid as exc:
                problem = str(exc)
        if problem is not None:
            broken.add(role.name)
            if role.name in principal.roles:
                problems.append(f"role {role.name}: {problem}")
        elif role.name in principal.roles:
            usable.append((role, condition))
    if not usable:
        if problems:
            raise _forbidden(
                table,
                readers,
                broken,
                f"the contract of {product} gives your roles no usable access to {table.table} "
                f"({'; '.join(problems)})",
                reason="; ".join(problems),
            )
        if not readers:
            raise _forbidden(
                table,
                readers,
                broken,
                f"the contract of {product} grants no role read access: only {owner_role} "
                f"and admin may read {table.logical}",
            )
        names = ", ".join(r.name for r in readers if r.name not in broken) or "none usable"
        raise _forbidden(
            table,
            readers,
            broken,
            f"reading {table.logical} needs a role the contract of {product} grants "
            f"read access: {names} (or {owner_role})",
        )
    unfiltered = any(condition is None for _, condition in usable)
    # Clear only when every row the caller sees is one a privileged role may see in clear.
    clear = any(r.unmasked and c is None for r, c in usable) or all(r.unmasked for r, _ in usable)
    masked = () if clear else tuple(c.name for c in table.columns if is_sensitive(c))
    filters = () if unfiltered else tuple((r.name, c) for r, c in usable if c is not None)
    return TableAccess(masked=masked, row_filters=filters)


def apply_access(
    tree: exp.Expr,
    tables: Mapping[TableKey, CatalogTable],
    principal: Principal | None,
    engine: str,
    used: Mapping[TableKey, tuple[str, ...]] | None = None,
) -> tuple[exp.Expr, AccessApplied]:
    """``tree`` with each table read through what ``principal`` may see of it.

    ``used`` (the columns the statement reads, per table) narrows what is reported as
    masked to the columns the caller asked for; every sensitive column is masked anyway.
    """
    if principal is None:
        return tree, AccessApplied()
    decided = {key: table_access(table, principal) for key, table in tables.items()}
    masked: list[str] = []
    filters: list[str] = []
    for key, access in decided.items():
        table = tables[key]
        wanted = set(used.get(key, ()) if used is not None else access.masked)
        masked += [f"{table.logical}.{c}" for c in access.masked if c in wanted]
        filters += [f"{table.logical} ({role}): {cond}" for role, cond in access.row_filters]
    for node in list(tree.find_all(exp.Table)):
        found = table_key(node)
        if found is None or found not in decided:
            continue
        access = decided[found]
        if access.masked or access.row_filters:
            _read_through(node, tables[found], access, engine)
    return tree, AccessApplied(tuple(masked), tuple(filters))


def _read_through(node: exp.Table, table: CatalogTable, access: TableAccess, engine: str) -> None:
    """Replace ``node`` by ``(SELECT <declared columns, masked> FROM node WHERE ...) alias``."""
    alias = node.alias or table.table
    inner = node.copy()
    inner.set("alias", exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
    masked = set(access.masked)
    projection: list[exp.Expr] = []
    for column in table.columns:
        value = exp.column(column.name, table=alias, quoted=True)
        if column.name in masked:
            masked_value = mask_expression(value, column, engine)
            projection.append(exp.alias_(masked_value, column.name, quoted=True))
        else:
            projection.append(value)
    select = exp.select(*projection).from_(inner)
    if access.row_filters:
        conditions = [exp.paren(checked_filter(c, table, alias)) for _, c in access.row_filters]
        select = select.where(exp.or_(*conditions) if len(conditions) > 1 else conditions[0])
    node.replace(exp.alias_(select.subquery(), alias, table=True, quoted=True))


def _forbidden(
    table: CatalogTable,
    readers: list[ContractRole],
    broken: set[str],
    message: str,
    **details: str,
) -> Forbidden:
    """The refusal for ``table``; ``roles`` are those that would grant it (not ``broken``)."""
    roles = [r.name for r in readers if r.name not in broken] + [f"owner:{table.domain.lower()}"]
    return Forbidden(
        message,
        product_id=table.product_id,
        product=f"{table.domain}.{table.product}",
        table=table.logical,
        roles=roles,
        **details,
    )
