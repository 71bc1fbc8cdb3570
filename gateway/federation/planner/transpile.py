"""The checked tree rendered in the engine's dialect."""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError

from gateway.errors import SqlNotAllowed, SqlTooLarge
from gateway.federation.planner.dialect import ENGINE_DIALECTS


def to_engine_sql(tree: exp.Expr, engine: str) -> str:
    """``tree`` as ``engine`` SQL; refuse what sqlglot cannot express in that dialect.

    >>> import sqlglot
    >>> tree = sqlglot.parse_one("SELECT date_diff('day', a, b)", read="trino")
    >>> print(to_engine_sql(tree, "duckdb"))
    SELECT
      DATE_DIFF('DAY', a, b)
    """
    dialect = ENGINE_DIALECTS.get(engine)
    if dialect is None:
        expected = ", ".join(ENGINE_DIALECTS)
        raise SqlNotAllowed(f"unknown engine {engine!r} (expected one of {expected})")
    try:
        # Comments are dropped: the engine gets only what was checked.
        return tree.sql(
            dialect=dialect, pretty=True, comments=False, unsupported_level=ErrorLevel.RAISE
        )
    except UnsupportedError as exc:
        raise SqlNotAllowed(f"the query cannot be expressed for {engine}: {exc}") from None
    except RecursionError:
        raise SqlTooLarge("the statement nests too deeply", limit="max_depth") from None
