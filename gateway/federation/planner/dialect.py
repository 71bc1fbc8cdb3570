"""The SQL dialect analysts write: Trino's (ANSI quoting: "identifier", 'string').

Trino's dialect is the neutral one: its names are case-insensitive, quoted identifiers use
double quotes as the SQL standard says, and it has no file-reading syntax of its own.
"""

from __future__ import annotations

from sqlglot.dialects.dialect import Dialect

READ = "trino"
READ_DIALECT = Dialect.get_or_raise(READ)

# Engine name -> sqlglot dialect the engine's SQL is written in.
ENGINE_DIALECTS = {"duckdb": "duckdb", "trino": "trino"}
