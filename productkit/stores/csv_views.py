"""The product kit's CSV tables, each read through a view with the options detected once
per version of its files (:mod:`gateway.csv_dialect`).

A product answering its quality checks ran some twenty queries over a table in a row;
each detected the CSV's dialect and types again (flood-areas spent 0.83 s of CPU on one
results document, nyc-air-quality 1.67 s). Now the first read of a version sniffs it and
defines a view; the next reads find the version unchanged and read the view. Where the
files cannot be sniffed as one (the sniff failed, the files disagree), the table is read
with the plain ``read_csv(pattern)`` of before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import duckdb
from sqlglot import exp

from gateway.csv_dialect import Dialect, Version, one_dialect, read_call, version_of


class SniffedCsv:
    """For each table, the version of its files last read and the view that reads them.

    ``sniff(path)`` runs DuckDB's detection on one file (None when it fails);
    ``define(name, query)`` creates or replaces view ``name`` as ``query`` in the store's
    database. A view, not the ``read_csv`` call itself, is what a query reads: the call
    names every column, and copying and rendering it for each of a product's checks cost
    more than the query.
    """

    def __init__(
        self,
        sniff: Callable[[str], Dialect | None],
        define: Callable[[str, exp.Query], None],
    ) -> None:
        self._sniff = sniff
        self._define = define
        self._lock = threading.Lock()  # the runtime reads from several threads
        self._kept: dict[str, tuple[Version, str | None]] = {}  # table -> version, view
        self._names: dict[str, str] = {}  # table -> its view's name, kept across versions

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
        try:
            self._define(name, exp.select(exp.Star()).from_(call))
        except duckdb.Error:  # a file gone since: the plain call reads, and says so
            return None
        return name
