"""Parquet, CSV and JSON files read in place by an in-process DuckDB.

Where a table's files are (a contract ``local`` server has one ``path`` and ``format``):

* a path holding ``{table}`` (or ``{model}``, as datacontract-cli writes it) names each
  table's files with the table's physical name put in;
* a contract with one table reads the path itself: a file, a glob, or a folder (all its
  ``*.<format>`` files);
* otherwise the path is a folder holding ``<physicalName>.<format>`` per table.

Relative paths start at ``root`` (the repository root: the current directory). DuckDB is
locked down: no extension is installed or loaded, and it may read only the folders of
the product's tables.
"""

from __future__ import annotations

import contextlib
import glob
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from gateway.csv_dialect import sniffer
from productkit.errors import ProductConfigError, RuleTimedOut, StoreUnavailable
from productkit.settings import KitSettings
from productkit.stores.base import Rows, SqlStore
from productkit.stores.csv_views import SniffedCsv
from productkit.tables import Table

_READERS = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json"}
_GLOB_CHARS = frozenset("*?[")
COPY_MAX_BYTES = KitSettings().csv_copy_max_bytes
"""CSV files up to this size, all tables together, are parsed once per version into
memory (:mod:`productkit.stores.csv_views`): the default of the kit's setting."""


@dataclass(frozen=True)
class FileLocation:
    """A table's files: an absolute path or glob and its format."""

    pattern: str
    format: str

    def files(self) -> list[str]:
        """The files the pattern matches now."""
        return sorted(glob.glob(self.pattern, recursive=True))

    @property
    def folder(self) -> str:
        """The deepest folder that holds every matching file (what DuckDB may read)."""
        parts = Path(self.pattern).parts
        fixed = [p for p in _until_glob(parts)]
        base = Path(*fixed) if fixed else Path("/")
        return str(base if _has_glob(self.pattern) else base.parent)


def _has_glob(text: str) -> bool:
    return any(ch in _GLOB_CHARS for ch in text)


def _until_glob(parts: Iterable[str]) -> Iterable[str]:
    for part in parts:
        if _has_glob(part):
            return
        yield part


def locate(server: Mapping[str, Any], table: Table, table_count: int, root: Path) -> FileLocation:
    """Where ``table`` of a contract with ``table_count`` tables lives on ``server``."""
    fmt = str(server.get("format", "")).lower()
    if fmt not in _READERS:
        raise ProductConfigError(
            f"server {server.get('server')!r}: format {fmt!r} is not readable by the kit "
            f"(expected one of {', '.join(_READERS)})"
        )
    raw = str(server.get("path", ""))
    if "{table}" in raw or "{model}" in raw:
        raw = raw.replace("{table}", table.physical_name).replace("{model}", table.physical_name)
        return _files_at(raw, fmt, root)
    path = _absolute(raw, root)
    if table_count == 1:
        return _files_at(raw, fmt, root)
    if _has_glob(path) or (Path(path).is_file()):
        raise ProductConfigError(
            f"server {server.get('server')!r}: path {raw!r} names one file but the contract "
            f"has {table_count} tables (expected a folder, or a path with {{table}})"
        )
    return FileLocation(os.path.join(path, f"{table.physical_name}.{fmt}"), fmt)


def _files_at(raw: str, fmt: str, root: Path) -> FileLocation:
    """A file or glob as is; a folder means every ``*.<format>`` file in it."""
    path = _absolute(raw, root)
    if not _has_glob(path) and (Path(path).is_dir() or raw.endswith("/")):
        return FileLocation(os.path.join(path, f"*.{fmt}"), fmt)
    return FileLocation(path, fmt)


def _absolute(path: str, root: Path) -> str:
    expanded = Path(os.path.expanduser(path))
    return str(expanded if expanded.is_absolute() else (root / expanded).resolve())


class FileStore(SqlStore):
    """Tables as files, queried with DuckDB in this process."""

    dialect = "duckdb"
    concurrency = 4  # a cursor per call; DuckDB runs them side by side

    def __init__(
        self,
        name: str,
        locations: Mapping[str, FileLocation],
        copy_max_bytes: int = COPY_MAX_BYTES,
    ) -> None:
        super().__init__(name)
        self._locations = dict(locations)
        self._db = duckdb.connect(
            ":memory:",
            config={
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
                "threads": 2,
            },
        )
        folders = sorted({loc.folder.rstrip("/") + "/" for loc in self._locations.values()})
        self._db.execute("SET allowed_directories = ?", [folders])
        self._db.execute("SET enable_external_access = false")
        self._db.execute("SET lock_configuration = true")
        self._csv = SniffedCsv(sniffer(self._db.cursor), self._define, copy_max_bytes)

    def location(self, table: Table) -> FileLocation:
        """Where ``table``'s files are."""
        return self._locations[table.name]

    def relation(self, table: Table) -> exp.Expr:
        """``read_parquet('path')`` (or read_json) for ``table``; for CSV files,
        ``read_csv`` with the options detected once per version of the files
        (:mod:`productkit.stores.csv_views`)."""
        loc = self.location(table)

        def plain() -> exp.Expr:
            return exp.Table(this=exp.func(_READERS[loc.format], exp.Literal.string(loc.pattern)))

        if loc.format != "csv":
            return plain()
        return self._csv.relation(table.name, loc.files(), plain)

    def _define(self, name: str, query: exp.Query, copy: bool) -> None:
        """Create or replace ``name`` as a view of ``query`` or (``copy``) a table of its
        rows, in one transaction: a reader sees the old object or the new one, and a view
        replacing a copy frees the copy's memory."""
        kind = "TABLE" if copy else "VIEW"
        ident = exp.Table(this=exp.to_identifier(name, quoted=True))
        create = exp.Create(this=ident, kind=kind, replace=True, expression=query)
        cursor = self._db.cursor()
        try:
            cursor.execute("BEGIN TRANSACTION")
            try:
                found = cursor.execute(
                    "SELECT table_type FROM information_schema.tables WHERE table_name = ?",
                    [name],
                ).fetchone()
                if found is not None and (found[0] == "VIEW") == copy:
                    # The other kind, which CREATE OR REPLACE cannot change: drop it.
                    other = "VIEW" if copy else "TABLE"
                    cursor.execute(f"DROP {other} {ident.sql(dialect=self.dialect)}")
                cursor.execute(create.sql(dialect=self.dialect))
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
        finally:
            cursor.close()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[list[str], Rows]:
        """Run ``sql`` on a cursor of its own (DuckDB cursors may be used across threads)."""
        cursor = self._db.cursor()
        try:
            cursor.execute(sql, list(params))
            names = [d[0] for d in cursor.description or []]
            return names, cursor.fetchall()
        except duckdb.Error as exc:
            raise StoreUnavailable(f"{self.name}: {_first_line(exc)}") from None
        finally:
            cursor.close()

    def rule_scalar(self, query: exp.Query, timeout: float) -> Any:
        """Run a SQL rule in a read-only transaction, interrupted after ``timeout`` seconds."""
        cursor = self._db.cursor()
        try:
            cursor.execute("BEGIN TRANSACTION READ ONLY")
            with _interrupt_after(cursor, timeout) as fired:
                try:
                    cursor.execute(query.sql(dialect=self.dialect))
                    rows = cursor.fetchall()
                except duckdb.InterruptException:
                    if fired.is_set():
                        raise RuleTimedOut(f"the SQL rule ran past {timeout:g} s") from None
                    raise StoreUnavailable(f"{self.name}: the query was interrupted") from None
                except duckdb.Error as exc:
                    raise StoreUnavailable(f"{self.name}: {_first_line(exc)}") from None
            return rows[0][0] if rows else None
        finally:
            with contextlib.suppress(duckdb.Error):
                cursor.execute("ROLLBACK")
            cursor.close()

    def ping(self) -> None:
        """The engine answers and every table has at least one file."""
        self.execute("SELECT 1")
        missing = [name for name, loc in self._locations.items() if not loc.files()]
        if missing:
            raise StoreUnavailable(f"{self.name}: no data files for {', '.join(sorted(missing))}")

    def modified_at(self, table: Table) -> datetime | None:
        """The newest modification time of the table's files."""
        times = [os.stat(f).st_mtime for f in self.location(table).files()]
        return datetime.fromtimestamp(max(times), UTC) if times else None

    def size_of(self, table: Table) -> int | None:
        """The total size of the table's files."""
        return sum(os.stat(f).st_size for f in self.location(table).files())

    def close(self) -> None:
        """Close the DuckDB database."""
        self._db.close()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@contextlib.contextmanager
def _interrupt_after(
    cursor: duckdb.DuckDBPyConnection, seconds: float
) -> Iterator[threading.Event]:
    """Interrupt ``cursor`` from a timer thread once ``seconds`` have passed.

    DuckDB has no statement timeout; an interrupt only stops a query already running,
    so the timer keeps interrupting until the block ends (why: the query may start just
    after the first interrupt). The event tells whether the timer fired.
    """
    done = threading.Event()
    fired = threading.Event()

    def watch() -> None:
        if done.wait(seconds):
            return
        fired.set()
        while not done.is_set():
            cursor.interrupt()
            done.wait(0.05)

    timer = threading.Thread(target=watch, name="sql-rule-timer", daemon=True)
    timer.start()
    try:
        yield fired
    finally:
        done.set()
        timer.join()
