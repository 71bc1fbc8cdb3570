"""The product kit's CSV tables, each read through a view with the options detected once
per version of its files (:mod:`gateway.csv_dialect`).

A product answering its quality checks ran some twenty queries over a table in a row;
each detected the CSV's dialect and types again (flood-areas spent 0.83 s of CPU on one
results document, nyc-air-quality 1.67 s). Now the first read of a version sniffs it and
defines a view; the next reads find the version unchanged and read the view. Where the
files cannot be sniffed as one (the sniff failed, the files disagree), the table is read
with the plain ``read_csv(pattern)`` of before.

Where a version's files are small (the copies of all tables at most ``copy_max_bytes`` on
disk), they are parsed once into a table in the store's memory and the checks read that:
a CSV is text, and each query over a view parses all of it again (nyc-air-quality's 2 MB
file: 6 to 11 ms a query, 0.3 s of CPU for one results document; 0.3 to 1.3 ms a query
over the copy, 50 ms to make it). The copy is the data as it was when its version was
taken, and it is made again with the view's options when the files change, as the view
is.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import duckdb
from sqlglot import exp

from gateway.csv_dialect import Dialect, Version, one_dialect, read_call, version_of

_COMPRESSED = (".gz", ".zst")
"""Endings DuckDB's ``read_csv`` decompresses as it reads."""


class SniffedCsv:
    """For each table, the version of its files last read and the view that reads them.

    ``sniff(path)`` runs DuckDB's detection on one file (None when it fails);
    ``define(name, query, copy)`` creates or replaces ``name`` in the store's database as
    a view of ``query``, or with ``copy`` as a table of its rows. A view or a table, not
    the ``read_csv`` call itself, is what a query reads: the call names every column, and
    copying and rendering it for each of a product's checks cost more than the query.
    Copies are made while the files copied, all tables together, total at most
    ``copy_max_bytes`` (none when it is 0), and never of compressed files; the other
    tables are read through a view.
    """

    def __init__(
        self,
        sniff: Callable[[str], Dialect | None],
        define: Callable[[str, exp.Query, bool], None],
        copy_max_bytes: int = 0,
    ) -> None:
        self._sniff = sniff
        self._define = define
        self._copy_max_bytes = copy_max_bytes
        self._lock = threading.Lock()  # the runtime reads from several threads
        self._kept: dict[str, tuple[Version, str | None]] = {}  # table -> version, view
        self._names: dict[str, str] = {}  # table -> its view's name, kept across versions
        self._copied: dict[str, int] = {}  # table -> the size of the files of its copy

    def relation(self, key: str, files: Sequence[str], plain: Callable[[], exp.Expr]) -> exp.Expr:
        """What reads table ``key``, whose files are ``files`` now: its view, or the
        ``plain()`` call where the files could not be sniffed as one."""
        version = version_of(files)
        if not version:
            return plain()  # no file: the read says so, as it always did
        with self._lock:
            kept = self._kept.get(key)
            if kept is None or kept[0] != version:
                kept = self._kept[key] = (version, self._view(key, version))
        view = kept[1]
        return plain() if view is None else exp.Table(this=exp.to_identifier(view, quoted=True))

    def _view(self, key: str, version: Version) -> str | None:
        one = one_dialect(self._sniff, (path for path, _, _ in version))
        if one is None:
            return None
        call = read_call([path for path, _, _ in version], one)
        # Named by the table's place in this store, never by its name.
        name = self._names.setdefault(key, f"kit_csv_{len(self._names)}")
        query = exp.select(exp.Star()).from_(call)
        size = sum(size for _, _, size in version)
        self._copied.pop(key, None)  # its old copy, if any, is replaced either way
        # A compressed file's size on disk says nothing of its rows in memory: not copied.
        plain_text = not any(path.lower().endswith(_COMPRESSED) for path, _, _ in version)
        room = self._copy_max_bytes - sum(self._copied.values())
        if plain_text and self._copy_max_bytes and size <= room:
            try:
                self._define(name, query, True)
                self._copied[key] = size
                return name
            except duckdb.Error:
                pass  # a row the options cannot read, a file gone: the view says so per read
        try:
            self._define(name, query, False)
        except duckdb.Error:  # a file gone since: the plain call reads, and says so
            return None
        return name
