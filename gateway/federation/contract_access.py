"""What a contract says about access to its data, read once when the catalog is built.

ODCS v3 gives each contract ``roles`` (``role``, ``access``) and each column a
``classification``; the rest is a convention of this gateway, written as ODCS
``customProperties`` so contracts stay valid:

* role ``customProperties: [{property: unmasked, value: true}]``: holders of the role see
  sensitive columns in clear (a privileged role);
* role ``customProperties: [{property: rowFilter, value: "<SQL condition>"}]``: holders
  of the role see only the rows where the condition holds, on every table of the
  contract; ``value: {<table>: "<condition>", ...}`` filters each table it names, and
  the role grants nothing on the tables it does not name (write ``"TRUE"`` for a table
  the role sees whole), so a forgotten table is closed, never open;
* column ``customProperties: [{property: masking, value: hash | redact | null}]``: how
  the column is masked when it is (``hash`` when absent).

Nothing here is trusted: a value of the wrong shape is kept as a ``problem`` that makes
the table unreadable for that role, and filters are checked in the planner
(:mod:`gateway.federation.planner.access`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MASKING_METHODS = ("hash", "redact", "null")
DEFAULT_MASKING = "hash"
MAX_FILTER_CHARS = 2_000


@dataclass(frozen=True)
class ContractRole:
    """One role of a contract, as it applies to one of its tables.

    ``name`` and ``access`` are lower-case. ``row_filter`` is the condition (SQL text, not
    yet checked) its holders see this table through; ``problem`` says why the role's
    declaration cannot be used (then the role grants nothing on this table).
    """

    name: str
    access: str
    unmasked: bool = False
    row_filter: str | None = None
    problem: str | None = None


def custom_properties(node: Mapping[str, Any]) -> dict[str, Any]:
    """A node's ``customProperties`` as a dict (property name -> value, first one wins).

    >>> custom_properties({"customProperties": [{"property": "masking", "value": "redact"}]})
    {'masking': 'redact'}
    """
    found: dict[str, Any] = {}
    entries = node.get("customProperties")
    if not isinstance(entries, list):
        return found
    for entry in entries:
        if isinstance(entry, Mapping) and isinstance(entry.get("property"), str):
            found.setdefault(entry["property"], entry.get("value"))
    return found


def column_masking(prop: Mapping[str, Any]) -> str:
    """How a column is masked: its ``masking`` custom property, else ``hash``.

    An unknown method masks with ``null`` (what shows the least).

    >>> column_masking({}), column_masking({"customProperties": [
    ...     {"property": "masking", "value": "Redact"}]})
    ('hash', 'redact')
    """
    value = custom_properties(prop).get("masking")
    if value is None:
        return DEFAULT_MASKING
    method = str(value).strip().lower()
    return method if method in MASKING_METHODS else "null"


def table_roles(
    raw: Mapping[str, Any], table: str, tables: Sequence[str]
) -> tuple[ContractRole, ...]:
    """The roles of contract ``raw`` as they apply to its table ``table``.

    ``tables`` are the names of every table of the contract (a per-table filter naming
    another table is a problem, so a typo never leaves a table unfiltered unnoticed).

    >>> raw = {"roles": [{"role": "Analyst", "access": "read", "customProperties": [
    ...     {"property": "rowFilter", "value": {"assets": "country_code = 'FR'"}}]}]}
    >>> table_roles(raw, "assets", ["assets", "exposure"])[0].row_filter
    "country_code = 'FR'"
    >>> table_roles(raw, "exposure", ["assets", "exposure"])[0].problem
    'rowFilter does not name the table exposure'
    """
    roles: list[ContractRole] = []
    for entry in raw.get("roles") or []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("role"), str):
            continue
        name = entry["role"].strip().lower()
        if not name:
            continue
        access = str(entry.get("access") or "").strip().lower()
        custom = custom_properties(entry)
        unmasked = custom.get("unmasked") is True
        row_filter, problem = _row_filter(custom.get("rowFilter"), table, tables)
        roles.append(ContractRole(name, access, unmasked, row_filter, problem))
    return tuple(roles)


def _row_filter(value: Any, table: str, tables: Sequence[str]) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, Mapping):
        known = {t.lower() for t in tables}
        unknown = sorted(str(k) for k in value if str(k).lower() not in known)
        if unknown:
            return None, f"rowFilter names tables the contract does not declare: {unknown}"
        value = next((v for k, v in value.items() if str(k).lower() == table.lower()), None)
        if value is None:
            return None, f"rowFilter does not name the table {table}"
    if not isinstance(value, str) or not value.strip():
        return None, "rowFilter is not a SQL condition (a non-empty string)"
    if len(value) > MAX_FILTER_CHARS:
        return None, f"rowFilter is longer than {MAX_FILTER_CHARS} characters"
    return value, None
