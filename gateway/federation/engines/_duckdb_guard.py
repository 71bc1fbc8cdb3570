"""The DuckDB engine's own last check of a statement, and its one error boundary.

The planner refuses everything but a read-only query long before this; these checks are
defence in depth for a plan that slipped through. DuckDB parses the statement itself
(``extract_statements`` and ``json_serialize_sql``, no string matching): exactly one
``SELECT``, no table function but the harmless generators, so neither ``COPY`` into
a data folder nor ``postgres_query`` through the attached database can run, and no
table but the engine's mesh views and the statement's own CTEs (no system view, no file
read by a replacement scan: see ``_duckdb_relations``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import duckdb

from gateway.errors import SqlEngineError, SqlMemoryLimit, SqlTimeout
from gateway.federation.engines._duckdb_relations import Relation, foreign_relations
from gateway.federation.engines.messages import public_message

log = logging.getLogger(__name__)

# Table functions that read nothing outside the query itself.
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})


def check_statement(
    cursor: duckdb.DuckDBPyConnection, sql: str, relations: frozenset[Relation]
) -> None:
    """Raise :class:`SqlEngineError` unless ``sql`` is one SELECT without table functions
    that reads only ``relations`` (lower-case qualified names) and its own CTEs.

    The verdict depends on the text and ``relations`` alone, so accepted statements are
    remembered: the check costs one extra DuckDB query (~0.5 ms) the first time only.
    """
    key = (relations, sql)
    if key in _accepted:
        return
    _check(cursor, sql, relations)
    if len(_accepted) >= _REMEMBERED:
        _accepted.clear()
    _accepted.add(key)


_REMEMBERED = 4096
_accepted: set[tuple[frozenset[Relation], str]] = set()


def _check(cursor: duckdb.DuckDBPyConnection, sql: str, relations: frozenset[Relation]) -> None:
    statements = cursor.extract_statements(sql)
    if len(statements) != 1:
        raise SqlEngineError("the DuckDB engine runs exactly one statement", reason="statements")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise SqlEngineError(
            f"the DuckDB engine runs SELECT only, not {kind.name}", reason="statement_type"
        )
    found = cursor.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()
    tree = json.loads(found[0]) if found else {"error": True}
    if tree.get("error"):
        raise SqlEngineError(public_message(str(tree.get("error_message", "unparsable"))))
    for name in table_functions(tree):
        if name.lower() not in ALLOWED_TABLE_FUNCTIONS:
            raise SqlEngineError(f"table function {name}() is not allowed", reason="table_function")
    for name in foreign_relations(tree.get("statements"), relations):
        shown = "a file" if set(name) & set("/\\~") else name  # never echo a path
        raise SqlEngineError(f"{shown} is not a table of the mesh", reason="relation")


def table_functions(node: Any) -> Iterator[str]:
    """Names of the table functions anywhere in a ``json_serialize_sql`` tree.

    >>> list(table_functions({"from_table": {"type": "TABLE_FUNCTION",
    ...     "function": {"function_name": "read_csv", "children": []}}}))
    ['read_csv']
    """
    if isinstance(node, dict):
        if node.get("type") == "TABLE_FUNCTION":
            yield str(node.get("function", {}).get("function_name", ""))
        for value in node.values():
            yield from table_functions(value)
    elif isinstance(node, list):
        for value in node:
            yield from table_functions(value)


def first_line(error: BaseException) -> str:
    """The useful part of a DuckDB message: its first non-empty line.

    >>> first_line(ValueError("Binder Error: no column x\\n\\nLINE 1: select x"))
    'Binder Error: no column x'
    """
    return next((line.strip() for line in str(error).splitlines() if line.strip()), repr(error))


def translate(
    error: duckdb.Error | OSError, *, timed_out: bool, timeout_s: float | None
) -> SqlEngineError:
    """The gateway error for a DuckDB exception (the only place they are mapped); its
    message is the engine's first line without values or paths (``public_message``).

    Results read as Arrow batches report DuckDB's errors through pyarrow, as ``OSError``
    ("INTERRUPT Error: Interrupted!" when the timer fired mid-batch).
    """
    if isinstance(error, duckdb.InterruptException) or timed_out:
        limit = "its time limit" if timeout_s is None else f"{timeout_s:g} s"
        return SqlTimeout(
            f"the query ran longer than {limit} and was interrupted", timeout_s=timeout_s
        )
    log.debug("duckdb: %s", first_line(error))
    if isinstance(error, duckdb.OutOfMemoryException):
        return SqlMemoryLimit(public_message(str(error)))
    return SqlEngineError(public_message(str(error)), engine="duckdb")
