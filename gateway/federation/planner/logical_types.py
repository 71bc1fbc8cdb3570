"""Store types read as the contract's logical types, so both engines see the same values.

DuckDB reads a product's files, whose types are the contract's (Parquet keeps booleans,
zoned timestamps and unpadded strings). Trino reads SQL stores through its connectors,
which expose what the store could hold instead:

* a contract ``boolean`` kept in MariaDB is ``tinyint(1)`` (MariaDB has no boolean):
  Trino reads a TINYINT, and ``count_if(hot_day)`` fails;
* a contract zoned ``timestamp`` kept in MariaDB is a zoneless ``timestamp(6)`` (MariaDB
  has no zoned type): Trino answers a local time where DuckDB answers an instant;
* a contract ``string`` kept as ``char(n)`` is padded to ``n``, and a ``UNION`` with a
  wider column widens the padding (Trino makes ``char(8)`` and ``varchar(11)`` a
  ``char(11)``: ``'06088001   '``).

So where a location does not already expose the logical types (``logical_columns`` is
false: the renaming subquery of :func:`~gateway.federation.planner.tables.physical_tables`,
today every Trino location), each such column is read through a cast (DuckDB has the
same casts in its own functions, for a location it would read that way). The rule is the
mesh's, whatever the store: a boolean is ``CAST(c AS BOOLEAN)`` (a no-op on a real
boolean); a zoned timestamp is the stored wall-clock time read as UTC,
``with_timezone(CAST(c AS TIMESTAMP(6)), 'UTC')`` (a zoneless store keeps UTC times; a
zoned store's connector answers in UTC, so the instant is unchanged); a ``char(n)`` string
is its text without the pad, ``TRIM(TRAILING ' ' FROM CAST(c AS VARCHAR))`` (trailing
blanks of a ``char(n)`` carry no meaning).
"""

from __future__ import annotations

import re
from functools import cache

import sqlglot
from sqlglot import exp

from gateway.federation.catalog import CatalogColumn

_PLACEHOLDER = "__stored_value"
_CHAR = re.compile(r"^\s*(char|character|bpchar|nchar)\s*(\(\s*\d+\s*\))?\s*$", re.IGNORECASE)
_READS = {
    ("trino", "boolean"): f"CAST({_PLACEHOLDER} AS BOOLEAN)",
    ("trino", "instant"): f"WITH_TIMEZONE(CAST({_PLACEHOLDER} AS TIMESTAMP(6)), 'UTC')",
    ("trino", "unpadded"): f"TRIM(TRAILING ' ' FROM CAST({_PLACEHOLDER} AS VARCHAR))",
    ("duckdb", "boolean"): f"CAST({_PLACEHOLDER} AS BOOLEAN)",
    ("duckdb", "instant"): f"TIMEZONE('UTC', CAST({_PLACEHOLDER} AS TIMESTAMP))",
    ("duckdb", "unpadded"): f"RTRIM(CAST({_PLACEHOLDER} AS TEXT), ' ')",
}


def stored_kind(column: CatalogColumn) -> str | None:
    """Which logical reading ``column`` needs from a store: ``boolean``, ``instant``,
    ``unpadded`` or ``None`` (the store's value is already the logical one).

    >>> stored_kind(CatalogColumn("hot_day", "boolean", "boolean"))
    'boolean'
    >>> stored_kind(CatalogColumn("t", "timestamp", "timestamp with time zone"))
    'instant'
    >>> stored_kind(CatalogColumn("t", "timestamp", "timestamp"))
    >>> stored_kind(CatalogColumn("station_id", "string", "char(8)"))
    'unpadded'
    >>> stored_kind(CatalogColumn("station_id", "string", "varchar(11)"))
    """
    logical = (column.logical_type or "").lower()
    physical = (column.physical_type or "").lower()
    if logical == "boolean":
        return "boolean"
    if logical == "timestamp" and ("zone" in physical or physical.startswith("timestamptz")):
        return "instant"
    if logical == "string" and _CHAR.match(physical):
        return "unpadded"
    return None


def read_stored(column: CatalogColumn, engine: str) -> exp.Expr:
    """The expression that reads ``column``'s stored value as the logical one on ``engine``.

    >>> read_stored(CatalogColumn("hot_day", "boolean", "boolean"), "trino").sql("trino")
    'CAST("hot_day" AS BOOLEAN)'
    >>> read_stored(CatalogColumn("id", "string", "varchar(11)"), "trino").sql("trino")
    '"id"'
    """
    stored = exp.column(column.physical_name, quoted=True)
    kind = stored_kind(column)
    if kind is None:
        return stored
    read = _template(engine, kind).copy()
    for node in list(read.find_all(exp.Column)):
        if node.name == _PLACEHOLDER:
            node.replace(stored.copy())
    return read


@cache
def _template(engine: str, kind: str) -> exp.Expr:
    return sqlglot.parse_one(_READS[(engine, kind)], read=engine)
