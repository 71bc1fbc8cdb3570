"""The engine's views over CSV files, read with the options detected once per version of
the files (:mod:`gateway.csv_dialect`).

``read_csv`` detects a CSV's dialect at every read, ``all_varchar`` or not: 25 to 40 ms of
CPU for the demo's 84 KB flood-areas file, most of a three-product join over it. So a
view over CSV files is made with the options sniffed when the engine is built, every
column as text as before (the view casts to the contract's types). Before a query reads
it, the files' version (paths, sizes, modification times) is compared with the one
sniffed, and the view made again from a new sniff when they differ: a file rewritten
with its columns in another order is read by its new header, as it was when every read
detected. Where the files cannot be sniffed as one, the view reads them with
``read_csv``'s own detection, every read, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import duckdb

from gateway.csv_dialect import Dialect, Version, one_dialect, sniffer, version_of
from gateway.errors import SqlEngineError
from gateway.federation.engines import _duckdb_sources as sources

if TYPE_CHECKING:
    from gateway.federation.catalog import CatalogTable


def sniffed_relation(source: sources.FileSource, cursor: duckdb.DuckDBPyConnection) -> str:
    """What reads ``source`` now: for CSV files that sniff as one dialect, ``read_csv``
    with it spelled out (every column as text); otherwise :meth:`FileSource.relation`."""
    if source.reader != "read_csv":
        return source.relation()
    return source.relation(_dialect(source, cursor))


def _dialect(source: sources.FileSource, cursor: duckdb.DuckDBPyConnection) -> Dialect | None:
    one = one_dialect(sniffer(cursor.cursor), (str(path) for path in source.files))
    if one is None:
        return None
    return replace(one, columns=tuple((name, "VARCHAR") for name, _ in one.columns))


def store_types(cursor: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """The column names and DuckDB types ``relation`` reads."""
    rows = cursor.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


@dataclass
class _View:
    table: CatalogTable
    source: sources.FileSource
    name: str  # qualified, as created inside the database
    version: Version


class CsvViews:
    """The CSV views of one engine, and the version of the files each was made at."""

    def __init__(self) -> None:
        self._views: dict[str, _View] = {}  # logical@version -> its view
        self._lock = threading.Lock()  # workers renew one at a time

    def add(self, key: str, table: CatalogTable, source: sources.FileSource, name: str,
            version: Version) -> None:  # fmt: skip
        """Follow the view ``name`` of ``key``, made from ``source`` at ``version``."""
        if source.reader == "read_csv":
            self._views[key] = _View(table, source, name, version)

    def renew(self, keys: Iterable[str], cursor: duckdb.DuckDBPyConnection) -> None:
        """Make again, from a new sniff, the view of each of ``keys`` whose files are
        not the version it was made at (a ``stat`` per file when none changed).

        Raises :class:`SqlEngineError` when the files now lack a column the contract
        declares (the query would have failed reading them)."""
        for key in keys:
            view = self._views.get(key)
            if view is None or version_of(_paths(view)) == view.version:
                continue
            with self._lock:
                now = version_of(_paths(view))  # taken before the sniff: a change
                if now == view.version:  # during it is seen by the next query
                    continue  # another worker made it meanwhile
                relation = sniffed_relation(view.source, cursor)
                try:
                    select = sources.view_select(
                        view.table, relation, store_types(cursor, relation)
                    )
                except ValueError as exc:
                    raise SqlEngineError(
                        f"{view.table.logical} cannot be read on duckdb: {exc}",
                        product_id=view.table.product_id,
                    ) from None
                cursor.execute(f"CREATE OR REPLACE VIEW {view.name} AS {select}")
                view.version = now


def _paths(view: _View) -> list[str]:
    return [str(path) for path in view.source.files]
