"""Functions outside an allow-list are refused.

The list holds sqlglot's canonical lower-case names (what ``Func.sql_name()`` gives, or the
name as written for a function sqlglot does not model), for functions that mean the same in
Trino and DuckDB and that sqlglot transpiles between them: aggregates, window functions,
math, string, date/time, conditional expressions and casts. Everything that reads files,
the network or the engine's state (``read_csv``, ``read_parquet``, ``glob``, ``getenv``,
``current_setting``, ``system`` functions ...) is absent, and so are table functions
(``UNNEST``, ``TABLE(...)``, ``sequence``). The H3 functions are absent too: DuckDB's
``h3`` extension is not packaged on PyPI and Trino's names differ, so the two engines
cannot give the same answer; join on the ``h3_cell`` columns the products publish instead.
"""

from __future__ import annotations

from sqlglot import exp

from gateway.errors import SqlNotAllowed

AGGREGATES = frozenset({
    "count", "count_if", "sum", "avg", "min", "max", "arg_min", "arg_max", "any_value",
    "approx_distinct", "stddev", "stddev_pop", "stddev_samp", "variance", "variance_pop",
    "corr", "covar_pop", "covar_samp", "logical_and", "logical_or", "bool_and", "bool_or",
    "approx_quantile", "array_agg",
})  # fmt: skip
# Not listed: percentile_cont / percentile_disc / median, which Trino lacks and sqlglot
# renders as approx_percentile there: the engines would answer differently.
WINDOW = frozenset({
    "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead",
    "first_value", "last_value", "nth_value",
})  # fmt: skip
MATH = frozenset({
    "abs", "round", "floor", "ceil", "trunc", "sign", "sqrt", "cbrt", "power", "exp", "ln",
    "log", "pi", "radians", "degrees", "sin", "cos", "tan", "asin", "acos", "atan", "atan2",
    "greatest", "least", "is_nan",
})  # fmt: skip
STRING = frozenset({
    "lower", "upper", "length", "substring", "concat", "trim", "replace", "reverse", "pad",
    "str_position", "split_part", "starts_with", "regexp_like", "regexp_replace",
    "regexp_extract", "chr", "left", "right",
})  # fmt: skip
DATETIME = frozenset({
    "current_date", "current_timestamp", "date", "year", "quarter", "month", "week_of_year",
    "day", "dayofweek_iso", "day_of_year", "hour", "minute", "second", "extract",
    "timestamp_trunc", "date_trunc", "datediff", "date_add", "date_sub", "str_to_time",
    "str_to_date", "time_to_str",
})  # fmt: skip
CONDITIONAL = frozenset({"case", "if", "coalesce", "nullif"})
CASTS = frozenset({"cast", "try_cast"})
# Syntax that sqlglot models as functions: boolean connectives and EXISTS (subquery).
SYNTAX = frozenset({"and", "or", "exists"})

ALLOWED_FUNCTIONS = AGGREGATES | WINDOW | MATH | STRING | DATETIME | CONDITIONAL | CASTS | SYNTAX

# Functions that read outside the query's tables: named to say why they are refused.
_TABLE_FUNCTIONS = frozenset({
    "read_csv", "read_csv_auto", "read_parquet", "read_json", "read_json_auto", "read_text",
    "read_blob", "parquet_scan", "glob", "unnest", "table", "sequence", "generate_series",
    "range", "explode", "iceberg_scan", "delta_scan", "postgres_scan", "sqlite_scan",
})  # fmt: skip


def function_name(node: exp.Func) -> str:
    """The lower-case name the allow-list knows ``node`` by.

    >>> import sqlglot
    >>> function_name(sqlglot.parse_one("COUNT(x)"))
    'count'
    >>> function_name(sqlglot.parse_one("my_udf(x)"))
    'my_udf'
    """
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def check_functions(tree: exp.Expr) -> None:
    """Refuse any function outside :data:`ALLOWED_FUNCTIONS`."""
    for node in tree.walk():
        if not isinstance(node, exp.Func):
            continue
        name = function_name(node)
        if name in _TABLE_FUNCTIONS:
            raise SqlNotAllowed(f"table functions are not allowed: {name}")
        if name not in ALLOWED_FUNCTIONS:
            raise SqlNotAllowed(f"function {name} is not allowed", function=name)
