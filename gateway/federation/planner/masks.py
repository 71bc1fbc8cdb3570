"""Mask expressions: what a masked column shows instead of its value, per engine.

``hash`` is the lower-case hex SHA-256 of the value as text, the same string on DuckDB and
Trino (so a join on a masked key still matches), ``redact`` a fixed ``****``, ``null`` no
value. NULL stays NULL; every mask is typed text. The engines write values as text
differently (Trino writes the double 12500000 as ``1.25E7``, DuckDB as ``12500000.0``;
timestamps carry as many fractional digits as their type), so the text is made canonical
first from the type the contract declares:

* numbers: ``DECIMAL(38, 9)`` then text (``12500000.000000000``);
* timestamps: ``YYYY-MM-DD HH:MM:SS.ffffff`` (with a time zone: in UTC);
* anything else (strings, integers, booleans, dates): the engines' own text, which agrees.
"""

from __future__ import annotations

from functools import cache

import sqlglot
from sqlglot import exp

from gateway.federation.catalog import CatalogColumn

_PLACEHOLDER = "__masked_value"
_NUMERIC = ("double", "real", "float", "decimal", "numeric", "number")
_TEXT = {
    ("duckdb", "number"): "CAST(CAST({v} AS DECIMAL(38, 9)) AS TEXT)",
    ("trino", "number"): "CAST(CAST({v} AS DECIMAL(38, 9)) AS VARCHAR)",
    ("duckdb", "timestamp"): "STRFTIME(CAST({v} AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%f')",
    ("trino", "timestamp"): "CAST(CAST({v} AS TIMESTAMP(6)) AS VARCHAR)",
    # Cast to a zoned type first: a store may hold a contract's zoned timestamp without
    # its zone (MariaDB has none); it is then read in the session's zone (UTC).
    ("duckdb", "timestamptz"): (
        "STRFTIME(TIMEZONE('UTC', CAST({v} AS TIMESTAMPTZ)), '%Y-%m-%d %H:%M:%S.%f')"
    ),
    ("trino", "timestamptz"): (
        "CAST(CAST(AT_TIMEZONE(CAST({v} AS TIMESTAMP(6) WITH TIME ZONE), 'UTC') "
        "AS TIMESTAMP(6)) AS VARCHAR)"
    ),
    ("duckdb", "other"): "CAST({v} AS TEXT)",
    ("trino", "other"): "CAST({v} AS VARCHAR)",
}
_METHODS = {
    ("duckdb", "hash"): "SHA256({t})",
    ("trino", "hash"): "LOWER(TO_HEX(SHA256(TO_UTF8({t}))))",
    ("duckdb", "redact"): "CAST(CASE WHEN {v} IS NULL THEN NULL ELSE '****' END AS TEXT)",
    ("trino", "redact"): "CAST(CASE WHEN {v} IS NULL THEN NULL ELSE '****' END AS VARCHAR)",
    ("duckdb", "null"): "CAST(NULL AS TEXT)",
    ("trino", "null"): "CAST(NULL AS VARCHAR)",
}


def value_kind(column: CatalogColumn) -> str:
    """How a column's values are written as text: ``number``, ``timestamp``,
    ``timestamptz`` or ``other``, from the types the contract declares.

    >>> value_kind(CatalogColumn("v", "number", "double"))
    'number'
    >>> value_kind(CatalogColumn("t", "timestamp", "timestamp with time zone"))
    'timestamptz'
    """
    physical = (column.physical_type or "").lower()
    logical = (column.logical_type or "").lower()
    if physical.startswith("timestamp") or (not physical and logical == "timestamp"):
        zoned = "zone" in physical or physical.startswith("timestamptz")
        return "timestamptz" if zoned else "timestamp"
    if physical.startswith(_NUMERIC) or (not physical and logical == "number"):
        return "number"
    return "other"


def mask_expression(value: exp.Expr, column: CatalogColumn, engine: str) -> exp.Expr:
    """The expression that shows ``value`` (a reference to ``column``) masked on ``engine``.

    >>> col = CatalogColumn("asset_id", "string", "varchar(12)")
    >>> mask_expression(exp.column("asset_id", "a"), col, "trino").sql("trino")
    'LOWER(TO_HEX(SHA256(TO_UTF8(CAST(a.asset_id AS VARCHAR)))))'
    >>> mask_expression(exp.column("asset_id", "a"), col, "duckdb").sql("duckdb")
    'SHA256(CAST(a.asset_id AS TEXT))'
    """
    method = column.masking if (engine, column.masking) in _METHODS else "null"
    template = _template(engine, method, value_kind(column))
    masked = template.copy()
    for node in list(masked.find_all(exp.Column)):
        if node.name == _PLACEHOLDER:
            node.replace(value.copy())
    return masked


@cache
def _template(engine: str, method: str, kind: str) -> exp.Expr:
    placeholder = _PLACEHOLDER
    text = _TEXT[(engine, kind)].format(v=placeholder)
    sql = _METHODS[(engine, method)].format(t=text, v=placeholder)
    return sqlglot.parse_one(sql, read=engine)
