"""A small CSV table is parsed once per version of its files into the kit's memory
(productkit/stores/csv_views.py): its checks and pages read that copy, a change to the
files makes a new one, a table past the cap is read through its view, and a file the
copy cannot be made of reads (and fails) as it did before."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from productkit.errors import StoreUnavailable
from productkit.stores import FileStore, open_stores
from productkit.tables import Table
from tests.product.test_csv_dialect import CITY
from tests.product.test_file_store import _csv, _tables

STAMP = 1_800_000_000_000_000_000  # a modification time (ns) the test sets and sets back


def _store(tmp_path: Path, text: str, copy_max_bytes: int) -> tuple[FileStore, Table, Path]:
    path = tmp_path / "data" / "t.csv"
    _csv(path, text)
    os.utime(path, ns=(STAMP, STAMP))
    tables = _tables({"t": CITY}, {"path": str(path), "format": "csv"})
    store = open_stores(tables, "local", tmp_path, {}, copy_max_bytes).by_table["t"]
    assert isinstance(store, FileStore)
    return store, tables[0], path


def _kind(store: FileStore, table: Table) -> str:
    """What the store reads ``table`` through: 'BASE TABLE' (a copy) or 'VIEW'."""
    name = store.relation(table).sql(dialect="duckdb").strip('"')
    rows = store.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = ?", (name,)
    )[1]
    return str(rows[0][0])


def _same_version_other_rows(path: Path) -> None:
    """Rewrite the file with rows of the same length, its modification time set back:
    the files' version (paths, sizes, times) does not change."""
    before = path.stat().st_size
    path.write_text(path.read_text().replace("Lyon", "Agen"))
    os.utime(path, ns=(STAMP, STAMP))
    assert path.stat().st_size == before


@pytest.mark.parametrize(("cap", "kind"), [(1 << 20, "BASE TABLE"), (0, "VIEW")])
def test_a_small_table_is_read_from_its_copy(tmp_path: Path, cap: int, kind: str) -> None:
    """Under the cap the rows come from the copy made for the version (the file's new
    bytes are not read until its version changes); with no copy, from the file."""
    store, table, path = _store(tmp_path, "city,people\nLyon,522000\nNice,342000\n", cap)
    try:
        assert store.sample(table, 10, 0)[1] == [("Lyon", 522000), ("Nice", 342000)]
        assert _kind(store, table) == kind
        _same_version_other_rows(path)
        first = store.sample(table, 10, 0)[1][0]
        assert first == (("Lyon", 522000) if kind == "BASE TABLE" else ("Agen", 522000))
        os.utime(path, ns=(STAMP + 1, STAMP + 1))  # a new version: read again
        assert store.sample(table, 10, 0)[1][0] == ("Agen", 522000)
    finally:
        store.close()


def test_a_table_that_grows_past_the_cap_is_read_through_a_view(tmp_path: Path) -> None:
    rows = "city,people\nLyon,522000\n"
    store, table, path = _store(tmp_path, rows, 64)
    try:
        assert (store.table_stats(table).row_count, _kind(store, table)) == (1, "BASE TABLE")
        path.write_text(rows + "".join(f"Town{i},{i}\n" for i in range(10)))
        assert (store.table_stats(table).row_count, _kind(store, table)) == (11, "VIEW")
        path.write_text(rows)
        os.utime(path, ns=(STAMP + 7, STAMP + 7))
        assert (store.table_stats(table).row_count, _kind(store, table)) == (1, "BASE TABLE")
    finally:
        store.close()


def test_a_row_the_options_cannot_read_fails_each_read_as_before(tmp_path: Path) -> None:
    """A bad value past the rows the types were detected from: the copy cannot be made,
    so the table is read through its view, and each read fails as it does without copies."""
    good = "".join(f"Town{i},{i}\n" for i in range(30_000))
    text = f"city,people\n{good}Nowhere,many\n"
    errors = []
    for cap in (1 << 30, 0):
        store, table, _ = _store(tmp_path / str(cap), text, cap)
        try:
            with pytest.raises(StoreUnavailable) as caught:
                store.sample(table, 10, 29_995)
            assert _kind(store, table) == "VIEW"
            errors.append(str(caught.value))
        finally:
            store.close()
    assert errors[0] == errors[1]
    assert "Conversion Error" in errors[0] and "Line: 30002" in errors[0]  # the bad row


def test_the_cap_holds_for_all_tables_together(tmp_path: Path) -> None:
    """Two tables that each fit under the cap but not together: the first read is
    copied, the second is read through its view; once the first is past the cap, the
    room is the second's at its next version."""
    rows = "city,people\nLyon,522000\nNice,342000\n"
    for name in ("a", "b"):
        _csv(tmp_path / "data" / f"{name}.csv", rows)
    size = len(rows.encode())
    tables = _tables({"a": CITY, "b": CITY}, {"path": str(tmp_path / "data"), "format": "csv"})
    store = open_stores(tables, "local", tmp_path, {}, size + size // 2).by_table["a"]
    assert isinstance(store, FileStore)
    first, second = tables
    try:
        assert [store.table_stats(t).row_count for t in tables] == [2, 2]
        assert (_kind(store, first), _kind(store, second)) == ("BASE TABLE", "VIEW")
        path = tmp_path / "data" / "a.csv"
        path.write_text(rows + "".join(f"Town{i},{i}\n" for i in range(50)))  # past the cap
        assert (_kind(store, first), _kind(store, second)) == ("VIEW", "VIEW")
        other = tmp_path / "data" / "b.csv"
        os.utime(other, ns=(STAMP, STAMP))  # its next version may take the room
        assert (_kind(store, first), _kind(store, second)) == ("VIEW", "BASE TABLE")
        assert [store.table_stats(t).row_count for t in tables] == [52, 2]
    finally:
        store.close()


def test_compressed_files_are_never_copied(tmp_path: Path) -> None:
    """A gzip file's size on disk does not bound its rows in memory (here 2 KB on disk
    for 300 KB of text): read through its view, whatever the cap."""
    path = tmp_path / "data" / "t.csv.gz"
    path.parent.mkdir(parents=True)
    text = "city,people\n" + "Lyon,522000\n" * 25_000
    path.write_bytes(gzip.compress(text.encode()))
    assert path.stat().st_size * 100 < len(text)
    tables = _tables({"t": CITY}, {"path": str(path), "format": "csv"})
    store = open_stores(tables, "local", tmp_path, {}, 1 << 30).by_table["t"]
    assert isinstance(store, FileStore)
    try:
        assert store.table_stats(tables[0]).row_count == 25_000
        assert _kind(store, tables[0]) == "VIEW"
    finally:
        store.close()
