"""A CSV file's reading options, as DuckDB detects them, written out in full.

DuckDB's ``read_csv`` detects a file's dialect (delimiter, quote, escape, header) and its
columns' types every time a query reads it: for the demo's 84 KB files 25 to 40 ms of
CPU a query (``all_varchar`` too), where reading the same file with the options spelled
out takes under 1 ms. So a file is sniffed once (:func:`sniffer`: DuckDB's own
``sniff_csv``, the detection ``read_csv`` runs) and read with what it found
(:func:`read_call`) until it changes (:func:`version_of`: paths, sizes and modification
times, a ``stat`` per file). Used by the product kit's file store
(``productkit/stores/csv_views.py``) and the gateway's DuckDB engine; part of the shared
base (it imports nothing of the gateway).

What the sniffer found comes from the file: every option is a literal in the sqlglot
tree, never pasted text. A row of an unexpected shape gives no dialect, and the caller
reads the file the old way (``read_csv`` detecting at every read).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
from sqlglot import exp

Version = tuple[tuple[str, int, int], ...]
"""The files a table reads now: (path, modification time in ns, size) each, sorted."""

EMPTY = "(empty)"
"""How ``sniff_csv`` writes an option that is empty (no escape, no comment, no quote)."""

_SNIFFED = (
    "SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, HasHeader, "
    "Columns, DateFormat, TimestampFormat FROM sniff_csv(?)"
)


@dataclass(frozen=True)
class Dialect:
    """The options ``read_csv`` detected for one file, in the order it takes them."""

    options: tuple[tuple[str, str | int | bool], ...]
    columns: tuple[tuple[str, str], ...]  # name, DuckDB type


def version_of(files: Sequence[str]) -> Version:
    """The current version of ``files`` (a file gone since it was listed is left out:
    the version differs, and the read reports what is missing)."""
    found = []
    for path in files:
        try:
            stat = os.stat(path)
        except OSError:
            continue
        found.append((path, stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def dialect_of(row: Sequence[Any]) -> Dialect | None:
    """The :class:`Dialect` of one row of ``sniff_csv`` (see ``_SNIFFED``), or None
    when a value is not of the expected shape.

    >>> row = (";", '"', "(empty)", "\\\\n", "(empty)", 0, True,
    ...        [{"name": "a", "type": "BIGINT"}], None, None)
    >>> dialect_of(row).options[:3]
    (('delim', ';'), ('quote', '"'), ('escape', ''))
    >>> dialect_of(row).columns
    (('a', 'BIGINT'),)
    """
    delim, quote, escape, new_line, comment, skip, header, columns, date, stamp = row
    texts = (delim, quote, escape, new_line, comment)
    if not all(isinstance(v, str) for v in texts) or not isinstance(skip, int):
        return None
    if not isinstance(header, bool) or not isinstance(columns, list) or not columns:
        return None
    named = []
    for column in columns:
        name, kind = column.get("name"), column.get("type")
        if not isinstance(name, str) or not isinstance(kind, str) or not kind:
            return None
        named.append((name, kind))
    delim, quote, escape, new_line, comment = ("" if v == EMPTY else v for v in texts)
    options: list[tuple[str, str | int | bool]] = [
        ("delim", delim), ("quote", quote), ("escape", escape), ("new_line", new_line),
        ("skip", skip), ("comment", comment), ("header", header),
    ]  # fmt: skip
    for name, value in (("dateformat", date), ("timestampformat", stamp)):
        if isinstance(value, str) and value:
            options.append((name, value))
    return Dialect(tuple(options), tuple(named))


def read_call(files: Sequence[str], dialect: Dialect) -> exp.Expr:
    """``read_csv(files, auto_detect = false, <dialect's options>, columns = {...})``."""
    listed = [exp.Literal.string(f) for f in files]
    source = listed[0] if len(listed) == 1 else exp.Array(expressions=listed)
    args: list[exp.Expr] = [source, _option("auto_detect", False)]
    args += [_option(name, value) for name, value in dialect.options]
    columns = exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.Literal.string(name), expression=exp.Literal.string(kind))
            for name, kind in dialect.columns
        ]
    )
    args.append(exp.EQ(this=exp.column("columns"), expression=columns))
    return exp.Table(this=exp.func("read_csv", *args))


def _option(name: str, value: str | int | bool) -> exp.Expr:
    literal: exp.Expr
    if isinstance(value, bool):
        literal = exp.Boolean(this=value)
    elif isinstance(value, int):
        literal = exp.Literal.number(value)
    else:
        literal = exp.Literal.string(value)
    return exp.EQ(this=exp.column(name), expression=literal)


def sniffer(cursor_of: Callable[[], Any]) -> Callable[[str], Dialect | None]:
    """A ``sniff(path)`` running ``sniff_csv`` on a cursor of ``cursor_of()`` (closed
    after); a DuckDB error gives None (the caller reads the file the old way)."""

    def sniff(path: str) -> Dialect | None:
        cursor = cursor_of()
        try:
            row = cursor.execute(_SNIFFED, [path]).fetchone()
        except duckdb.Error:  # a file DuckDB cannot sniff reads the old way, failing there
            return None
        finally:
            cursor.close()
        return None if row is None else dialect_of(row)

    return sniff


def one_dialect(sniff: Callable[[str], Dialect | None], paths: Iterable[str]) -> Dialect | None:
    """The dialect every one of ``paths`` sniffs as, or None when one fails or they
    disagree (the files are then read the old way, as ``read_csv`` would)."""
    found = {sniff(path) for path in paths}
    return found.pop() if len(found) == 1 else None
