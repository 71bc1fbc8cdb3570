"""The SQLite registry: the default, one file beside the gateway.

The stdlib driver is blocking, so each call runs in a worker thread
(``asyncio.to_thread``); one connection serves them all, one call at a time (a
``threading.Lock``), which also makes ``:memory:`` databases work. WAL mode lets other
processes (a backup, a second reader) read while the gateway writes.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from os import PathLike
from typing import Any, TypeVar

from gateway.errors import RegistryError
from gateway.migrations import open_sqlite
from gateway.registry.listing import ListingKey
from gateway.registry.model import RegisteredProduct
from gateway.registry.rows import COLUMNS, fold, from_row, to_values
from gateway.registry.search_index import (
    Found,
    Place,
    Term,
    candidates,
    field_words,
    fts5_query,
    fts5_weights,
    judge,
    places_of,
    served_contracts,
)
from gateway.registry.snapshot import Stamp
from gateway.registry.store import check_page, key_taken

T = TypeVar("T")

# Each entry moves the schema one version up; never edit a released entry, add one.
MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """
            CREATE TABLE products (
                id TEXT PRIMARY KEY,
                domain TEXT NOT NULL,
                slug TEXT NOT NULL,
                name TEXT NOT NULL,
                description TEXT NOT NULL,
                owner_name TEXT,
                owner_email TEXT,
                tags TEXT NOT NULL,
                status TEXT,
                url TEXT NOT NULL,
                base_url TEXT NOT NULL,
                versions TEXT NOT NULL,
                contracts TEXT NOT NULL,
                search TEXT NOT NULL,
                tag_keys TEXT NOT NULL,
                sort_name TEXT NOT NULL,
                registered_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (domain, slug)
            )
            """,
            "CREATE INDEX products_order ON products (domain, sort_name, name, id)",
        ),
    ),
    # issue 9 (contract versions): the contract versions each product served, and the
    # breaking changes it published without a major bump (gateway/registry/versions.py).
    (
        2,
        (
            """
            CREATE TABLE contract_snapshots (
                product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
                contract_id TEXT NOT NULL,
                version TEXT NOT NULL,
                document TEXT NOT NULL,
                PRIMARY KEY (product_id, contract_id, version)
            )
            """,
            """
            CREATE TABLE version_flags (
                product_id TEXT PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
                flags TEXT NOT NULL
            )
            """,
        ),
    ),
    # issue 10 (10,000 products): lookups by key without a scan of every product (the
    # check that a key is free, run by each registration, and get by domain.slug), and
    # the search index (gateway/registry/search_index.py); rows of products registered
    # before are filled in by the store when it opens.
    (
        3,
        (
            "CREATE INDEX products_key ON products (lower(domain), lower(slug))",
            "CREATE INDEX products_dotted ON products (lower(domain || '.' || slug))",
            """
            CREATE TABLE search_places (
                id INTEGER PRIMARY KEY,
                product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
                field TEXT NOT NULL,
                element TEXT,
                text TEXT NOT NULL,
                words TEXT NOT NULL
            )
            """,
            "CREATE INDEX search_places_product ON search_places (product_id)",
            """
            CREATE TABLE search_docs (
                doc INTEGER PRIMARY KEY,
                product_id TEXT NOT NULL UNIQUE REFERENCES products (id) ON DELETE CASCADE,
                key TEXT NOT NULL
            )
            """,
            # One row per product, a column per kind of place (search_index.FIELDS order).
            """
            CREATE VIRTUAL TABLE search_fts USING fts5 (
                name, tag, domain, tbl, col, description, tbl_desc, col_desc,
                tokenize = 'unicode61 remove_diacritics 0'
            )
            """,
            """
            CREATE TRIGGER search_docs_removed AFTER DELETE ON search_docs BEGIN
                DELETE FROM search_fts WHERE rowid = old.doc;
            END
            """,
        ),
    ),
    # issue 10 (health without the metadata round trip): the metadata links the gateway
    # follows (registry/model.py FOLLOWED_LINKS), as JSON; NULL for products stored
    # before, whose links are read from their metadata until their next refresh.
    (4, ("ALTER TABLE products ADD COLUMN links TEXT",)),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

_SELECT = f"SELECT {', '.join(COLUMNS)} FROM products"
_ORDER = "ORDER BY domain, sort_name, name, id"
_UPDATED = [c for c in COLUMNS if c not in ("id", "registered_at")]
_UPSERT = (
    f"INSERT INTO products ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)}) "
    f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _UPDATED)}"
)


class SqliteRegistryStore:
    """A :class:`~gateway.registry.store.RegistryStore` in one SQLite file."""

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        """Wrap an open, migrated connection; use :meth:`open` instead."""
        self._db = connection
        self._path = path
        self._lock = threading.Lock()

    @classmethod
    async def open(cls, path: str | PathLike[str]) -> SqliteRegistryStore:
        """Open the registry file at ``path`` (or ``":memory:"``), creating it if needed."""
        return await asyncio.to_thread(cls._open, str(path))

    @classmethod
    def _open(cls, path: str) -> SqliteRegistryStore:
        db = open_sqlite(
            path, MIGRATIONS, table="registry_schema", what="registry", error=RegistryError,
            pragmas=("journal_mode=WAL", "busy_timeout=5000"), row_factory=sqlite3.Row,
        )  # fmt: skip
        store = cls(db, path)
        try:
            store._index_unindexed()
        except sqlite3.Error as exc:
            db.close()
            raise RegistryError(f"SQLite registry at {path}: {exc}") from exc
        return store

    def _index_unindexed(self) -> None:
        """Index the products registered before the index existed (schema version 3), from
        their summary and the contract documents kept of them."""
        rows = self._db.execute(
            f"{_SELECT} WHERE NOT EXISTS "
            "(SELECT 1 FROM search_docs s WHERE s.product_id = products.id)"
        ).fetchall()
        for row in rows:
            product = from_row(row)
            kept = self._db.execute(
                "SELECT contract_id, version, document FROM contract_snapshots "
                "WHERE product_id = ?",
                (product.id,),
            ).fetchall()
            documents = {(r[0], r[1]): json.loads(r[2]) for r in kept}
            places = places_of(product, served_contracts(product, documents))
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._replace_places(product, places)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _replace_places(self, product: RegisteredProduct, places: Sequence[Place]) -> None:
        self._db.execute("DELETE FROM search_places WHERE product_id = ?", (product.id,))
        self._db.execute("DELETE FROM search_docs WHERE product_id = ?", (product.id,))
        self._db.executemany(
            "INSERT INTO search_places (product_id, field, element, text, words) "
            "VALUES (?, ?, ?, ?, ?)",
            [(product.id, p.field, p.element, p.text, p.words) for p in places],
        )
        doc = self._db.execute(
            "INSERT INTO search_docs (product_id, key) VALUES (?, ?)", (product.id, product.key)
        ).lastrowid
        self._db.execute(
            "INSERT INTO search_fts (rowid, name, tag, domain, tbl, col, description, "
            "tbl_desc, col_desc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc, *field_words(places)),
        )

    async def upsert(
        self, product: RegisteredProduct, *, places: Sequence[Place] | None = None
    ) -> RegisteredProduct:
        """See :meth:`RegistryStore.upsert`."""
        return await self._run(self._upsert, product, places)

    def _upsert(
        self, product: RegisteredProduct, places: Sequence[Place] | None = None
    ) -> RegisteredProduct:
        values = _sqlite_values(product)
        # IMMEDIATE takes the write lock now, so the slug check and the write are atomic.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            holder = self._db.execute(
                "SELECT id FROM products WHERE lower(domain) = lower(?) AND lower(slug) = lower(?) "
                "AND id <> ?",
                (product.domain, product.slug, product.id),
            ).fetchone()
            if holder is not None:
                raise key_taken(product, holder["id"])
            self._db.execute(_UPSERT, [values[c] for c in COLUMNS])
            self._replace_places(product, places_of(product, ()) if places is None else places)
            row = self._db.execute(f"{_SELECT} WHERE id = ?", (product.id,)).fetchone()
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return from_row(row)

    async def get(self, id_or_key: str) -> RegisteredProduct | None:
        """See :meth:`RegistryStore.get`."""
        return await self._run(self._get, id_or_key)

    def _get(self, id_or_key: str) -> RegisteredProduct | None:
        # An exact id wins over a key that happens to spell the same text.
        row = self._db.execute(
            f"{_SELECT} WHERE id = ? OR lower(domain || '.' || slug) = lower(?) "
            "ORDER BY id = ? DESC LIMIT 1",
            (id_or_key, id_or_key, id_or_key),
        ).fetchone()
        return None if row is None else from_row(row)

    async def remove(self, id: str) -> bool:
        """See :meth:`RegistryStore.remove`."""
        return await self._run(self._remove, id)

    def _remove(self, id: str) -> bool:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("DELETE FROM search_places WHERE product_id = ?", (id,))
            self._db.execute("DELETE FROM search_docs WHERE product_id = ?", (id,))
            removed = self._db.execute("DELETE FROM products WHERE id = ?", (id,)).rowcount > 0
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return removed

    async def search(self, wanted: builtins.list[Term], limit: int) -> builtins.list[Found]:
        """See :meth:`RegistryStore.search`."""
        return await self._run(self._search, wanted, limit)

    def _search(self, wanted: builtins.list[Term], limit: int) -> builtins.list[Found]:
        # FTS5 ranks in its own code (bm25, a weight per column); the tie-break reads the
        # key from search_docs (reading it from the FTS row would load all its text).
        ranked = self._db.execute(
            f"SELECT d.product_id, -r.rank AS score FROM (SELECT rowid, bm25(search_fts, "
            f"{fts5_weights()}) AS rank FROM search_fts WHERE search_fts MATCH ?) r "
            "JOIN search_docs d ON d.doc = r.rowid ORDER BY r.rank, d.key LIMIT ?",
            (fts5_query(wanted), limit),
        ).fetchall()
        ids = [row[0] for row in ranked]
        marks = ", ".join("?" for _ in ids)
        products = {
            row["id"]: from_row(row)
            for row in self._db.execute(f"{_SELECT} WHERE id IN ({marks})", ids).fetchall()
        }
        places: dict[str, builtins.list[tuple[Place, str]]] = {i: [] for i in ids}
        runs = candidates(wanted)
        some = " OR ".join("instr(words, ?) > 0" for _ in runs)
        for r in self._db.execute(
            "SELECT product_id, field, element, text, words FROM search_places "
            f"WHERE product_id IN ({marks}) AND ({some}) ORDER BY id",
            [*ids, *runs],
        ).fetchall():
            place = Place(r["field"], r["text"], r["element"])
            places[r["product_id"]].append((place, r["words"]))
        return [
            judge(products[pid], float(score), places[pid], wanted)
            for pid, score in ranked
            if pid in products
        ]

    async def list(
        self,
        *,
        domain: str | None = None,
        tag: str | None = None,
        text: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        after: ListingKey | None = None,
    ) -> builtins.list[RegisteredProduct]:
        """See :meth:`RegistryStore.list`."""
        check_page(limit, offset)
        where, params = _where(domain, tag, text, after)
        # SQLite needs a LIMIT to take an OFFSET; -1 means no limit.
        sql = f"{_SELECT} {where} {_ORDER} LIMIT ? OFFSET ?"
        args = [*params, -1 if limit is None else limit, offset]
        rows = await self._run(lambda: self._db.execute(sql, args).fetchall())
        return [from_row(row) for row in rows]

    async def count(
        self, *, domain: str | None = None, tag: str | None = None, text: str | None = None
    ) -> int:
        """See :meth:`RegistryStore.count`."""
        where, params = _where(domain, tag, text)
        sql = f"SELECT count(*) FROM products {where}"
        row = await self._run(lambda: self._db.execute(sql, params).fetchone())
        return int(row[0])

    async def domains(self) -> builtins.list[tuple[str, int]]:
        """See :meth:`RegistryStore.domains`."""
        sql = "SELECT domain, count(*) FROM products GROUP BY domain ORDER BY domain"
        rows = await self._run(lambda: self._db.execute(sql).fetchall())
        return [(row[0], int(row[1])) for row in rows]

    async def stamp(self) -> Stamp:
        """See :meth:`RegistryStore.stamp`."""
        sql = "SELECT count(*), max(updated_at) FROM products"
        row = await self._run(lambda: self._db.execute(sql).fetchone())
        return int(row[0]), str(row[1] or "")

    async def contract_snapshots(self, product_id: str) -> dict[tuple[str, str], str]:
        """See :meth:`RegistryStore.contract_snapshots`."""
        sql = "SELECT contract_id, version, document FROM contract_snapshots WHERE product_id = ?"
        rows = await self._run(lambda: self._db.execute(sql, (product_id,)).fetchall())
        return {(row[0], row[1]): row[2] for row in rows}

    async def save_contract_versions(
        self, product_id: str, snapshots: Mapping[tuple[str, str], str], flags: str
    ) -> None:
        """See :meth:`RegistryStore.save_contract_versions`."""
        await self._run(self._save_versions, product_id, snapshots, flags)

    def _save_versions(
        self, product_id: str, snapshots: Mapping[tuple[str, str], str], flags: str
    ) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if self._db.execute("SELECT 1 FROM products WHERE id = ?", (product_id,)).fetchone():
                self._db.execute(
                    "DELETE FROM contract_snapshots WHERE product_id = ?", (product_id,)
                )
                self._db.executemany(
                    "INSERT INTO contract_snapshots (product_id, contract_id, version, document) "
                    "VALUES (?, ?, ?, ?)",
                    [(product_id, c, v, text) for (c, v), text in snapshots.items()],
                )
                self._db.execute(
                    "INSERT INTO version_flags (product_id, flags) VALUES (?, ?) "
                    "ON CONFLICT (product_id) DO UPDATE SET flags = excluded.flags",
                    (product_id, flags),
                )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    async def version_flags(self, product_id: str) -> str | None:
        """See :meth:`RegistryStore.version_flags`."""
        sql = "SELECT flags FROM version_flags WHERE product_id = ?"
        row = await self._run(lambda: self._db.execute(sql, (product_id,)).fetchone())
        return None if row is None else str(row[0])

    async def close(self) -> None:
        """See :meth:`RegistryStore.close`."""
        await self._run(self._db.close)

    async def _run(self, call: Callable[..., T], *args: Any) -> T:
        def locked() -> T:
            with self._lock:
                try:
                    return call(*args)
                except sqlite3.Error as exc:
                    raise RegistryError(f"SQLite registry at {self._path}: {exc}") from exc

        return await asyncio.to_thread(locked)


def _where(
    domain: str | None, tag: str | None, text: str | None, after: ListingKey | None = None
) -> tuple[str, list[str]]:
    clauses: list[str] = []
    params: list[str] = []
    if after is not None:
        # A row value: SQLite walks the listing index from the key (BINARY: code points).
        clauses.append("(domain, sort_name, name, id) > (?, ?, ?, ?)")
        params.extend(after)
    if domain is not None:
        clauses.append("lower(domain) = lower(?)")
        params.append(domain)
    if tag is not None:
        clauses.append("EXISTS (SELECT 1 FROM json_each(products.tag_keys) WHERE value = ?)")
        params.append(fold(tag))
    if text is not None:
        # instr, not LIKE: the user's text is matched literally, '%' and '_' included.
        clauses.append("instr(search, ?) > 0")
        params.append(fold(text))
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def _sqlite_values(product: RegisteredProduct) -> dict[str, Any]:
    values = to_values(product)
    for column in ("registered_at", "updated_at"):
        moment: datetime = values[column]
        values[column] = moment.isoformat()
    return values
