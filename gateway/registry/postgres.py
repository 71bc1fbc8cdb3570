"""The PostgreSQL registry: for several gateway replicas sharing one phone book.

A bounded pool of psycopg 3 connections serves the store
(:class:`~gateway.stores.PostgresCalls`), so a call waiting on a row lock another gateway
holds does not hold up the reads behind it. A connection found broken (server restarted)
is replaced and the call tried once more.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row

from gateway.errors import RegistryError
from gateway.migrations import describe
from gateway.registry.listing import ListingKey
from gateway.registry.model import RegisteredProduct
from gateway.registry.postgres_schema import MIGRATIONS, SCHEMA_VERSION
from gateway.registry.rows import COLUMNS, fold, from_row, to_values
from gateway.registry.search_index import (
    FIELDS,
    PG_CLASSES,
    Found,
    Place,
    Term,
    candidates,
    field_words,
    judge,
    places_of,
    served_contracts,
    word_weights,
)
from gateway.registry.snapshot import Stamp
from gateway.registry.store import check_page, key_taken
from gateway.stores import PostgresCalls

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresRegistryStore", "describe"]

Connection = psycopg.AsyncConnection[DictRow]

# Serializes gateways migrating the same database at the same time ("meshgate" in ASCII).
_MIGRATION_LOCK = 0x6D657368676174

_JSON = ("tags", "versions", "contracts", "tag_keys", "links")
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM products"
# The "C" collation compares code points, as SQLite does, so both backends list alike.
_LISTING = 'domain COLLATE "C", sort_name COLLATE "C", name COLLATE "C", id COLLATE "C"'
_ORDER = f"ORDER BY {_LISTING}"
_PLACEHOLDERS = ", ".join("%s::jsonb" if c in _JSON else "%s" for c in COLUMNS)
_UPDATED = [c for c in COLUMNS if c not in ("id", "registered_at")]
_UPSERT = (
    f"INSERT INTO products ({', '.join(COLUMNS)}) VALUES ({_PLACEHOLDERS}) "
    f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _UPDATED)} "
    f"RETURNING {', '.join(COLUMNS)}"
)
_HOLDER = (
    "SELECT id FROM products WHERE lower(domain) = lower(%s) AND lower(slug) = lower(%s) "
    "AND id <> %s"
)


class PostgresRegistryStore:
    """A :class:`~gateway.registry.store.RegistryStore` in a PostgreSQL database."""

    def __init__(self, calls: PostgresCalls) -> None:
        """Wrap the calls on an open, migrated database; use :meth:`open` instead."""
        self._calls = calls
        self._run = calls.run

    @classmethod
    async def open(cls, dsn: str, *, pool_size: int = 4) -> PostgresRegistryStore:
        """Bring the schema of the database at ``dsn`` up to date and pool connections."""
        calls = await PostgresCalls.open(
            dsn, MIGRATIONS, table="registry_schema", what="registry", error=RegistryError,
            lock_key=_MIGRATION_LOCK, pool_size=pool_size, row_factory=dict_row,
            # upsert turns it into a clear RegistryError
            passthrough=(psycopg.errors.UniqueViolation,),
        )  # fmt: skip
        store = cls(calls)
        try:
            await store._index_unindexed()
        except BaseException:
            await calls.close()
            raise
        return store

    async def _index_unindexed(self) -> None:
        """Index the products registered before the index existed (schema version 3), from
        their summary and the contract documents kept of them."""
        sql = (
            f"{_SELECT} WHERE NOT EXISTS "
            "(SELECT 1 FROM search_docs s WHERE s.product_id = products.id)"
        )

        async def select(conn: Connection) -> builtins.list[DictRow]:
            return await (await conn.execute(sql)).fetchall()

        for row in await self._run(select):
            product = from_row(row)
            kept = await self.contract_snapshots(product.id)
            documents = {k: json.loads(v) for k, v in kept.items()}
            places = places_of(product, served_contracts(product, documents))

            async def write(
                conn: Connection, found: RegisteredProduct = product, ps: list[Place] = places
            ) -> None:
                async with conn.transaction():
                    await _replace_places(conn, found, ps)

            await self._run(write)

    async def upsert(
        self, product: RegisteredProduct, *, places: Sequence[Place] | None = None
    ) -> RegisteredProduct:
        """See :meth:`RegistryStore.upsert`."""
        values = to_values(product)
        args = [values[c] for c in COLUMNS]
        indexed = places_of(product, ()) if places is None else places

        async def write(conn: Connection) -> DictRow | None:
            async with conn.transaction():
                holder = await (
                    await conn.execute(_HOLDER, (product.domain, product.slug, product.id))
                ).fetchone()
                if holder is not None:
                    raise key_taken(product, holder["id"])
                row = await (await conn.execute(_UPSERT, args)).fetchone()
                await _replace_places(conn, product, indexed)
                return row

        try:
            row = await self._run(write)
        except psycopg.errors.UniqueViolation:
            # Another gateway took the key between our check and our write.
            holder = await self._run(
                lambda conn: _fetchone(conn, _HOLDER, (product.domain, product.slug, product.id))
            )
            if holder is None:
                raise
            raise key_taken(product, holder["id"]) from None
        assert row is not None  # RETURNING always yields the written row
        return from_row(row)

    async def get(self, id_or_key: str) -> RegisteredProduct | None:
        """See :meth:`RegistryStore.get`."""
        # An exact id wins over a key that happens to spell the same text.
        sql = (
            f"{_SELECT} WHERE id = %s OR lower(domain || '.' || slug) = lower(%s) "
            "ORDER BY (id = %s) DESC LIMIT 1"
        )
        args = (id_or_key, id_or_key, id_or_key)
        row = await self._run(lambda conn: _fetchone(conn, sql, args))
        return None if row is None else from_row(row)

    async def remove(self, id: str) -> bool:
        """See :meth:`RegistryStore.remove`."""

        async def delete(conn: Connection) -> bool:
            async with conn.transaction():
                await conn.execute("DELETE FROM search_places WHERE product_id = %s", (id,))
                await conn.execute("DELETE FROM search_docs WHERE product_id = %s", (id,))
                cursor = await conn.execute("DELETE FROM products WHERE id = %s", (id,))
                return cursor.rowcount > 0

        return await self._run(delete)

    async def search(self, wanted: builtins.list[Term], limit: int) -> builtins.list[Found]:
        """See :meth:`RegistryStore.search`."""
        ranked_sql, ranked_args = _ranked(wanted, limit)

        async def select(
            conn: Connection,
        ) -> tuple[builtins.list[DictRow], builtins.list[DictRow], builtins.list[DictRow]]:
            ranked = await (await conn.execute(ranked_sql, ranked_args)).fetchall()
            ids = [row["product_id"] for row in ranked]
            products = await (
                await conn.execute(f"{_SELECT} WHERE id = ANY(%s)", (ids,))
            ).fetchall()
            places = await (
                await conn.execute(
                    "SELECT product_id, field, element, text, words FROM search_places "
                    "WHERE product_id = ANY(%s) AND words LIKE ANY(%s) ORDER BY id",
                    (ids, [f"%{_like(run)}%" for run in candidates(wanted)]),
                )
            ).fetchall()
            return ranked, products, places

        ranked, rows, found = await self._run(select)
        products = {row["id"]: from_row(row) for row in rows}
        places: dict[str, builtins.list[tuple[Place, str]]] = {pid: [] for pid in products}
        for r in found:
            place = Place(r["field"], r["text"], r["element"])
            places[r["product_id"]].append((place, r["words"]))
        return [
            judge(products[r["product_id"]], float(r["score"]), places[r["product_id"]], wanted)
            for r in ranked
            if r["product_id"] in products
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
        sql = f"{_SELECT} {where} {_ORDER} LIMIT %s OFFSET %s"
        args = [*params, limit, offset]  # LIMIT NULL means no limit

        async def select(conn: Connection) -> builtins.list[DictRow]:
            return await (await conn.execute(sql, args)).fetchall()

        return [from_row(row) for row in await self._run(select)]

    async def count(
        self, *, domain: str | None = None, tag: str | None = None, text: str | None = None
    ) -> int:
        """See :meth:`RegistryStore.count`."""
        where, params = _where(domain, tag, text)
        sql = f"SELECT count(*) AS n FROM products {where}"
        row = await self._run(lambda conn: _fetchone(conn, sql, params))
        return 0 if row is None else int(row["n"])

    async def domains(self) -> builtins.list[tuple[str, int]]:
        """See :meth:`RegistryStore.domains`."""
        sql = (
            'SELECT domain, count(*) AS n FROM products GROUP BY domain ORDER BY domain COLLATE "C"'
        )

        async def select(conn: Connection) -> builtins.list[DictRow]:
            return await (await conn.execute(sql)).fetchall()

        return [(row["domain"], int(row["n"])) for row in await self._run(select)]

    async def stamp(self) -> Stamp:
        """See :meth:`RegistryStore.stamp`."""
        sql = "SELECT count(*) AS n, max(updated_at) AS latest FROM products"
        row = await self._run(lambda conn: _fetchone(conn, sql, ()))
        latest = None if row is None else row["latest"]
        return (0 if row is None else int(row["n"])), ("" if latest is None else latest.isoformat())

    async def contract_snapshots(self, product_id: str) -> dict[tuple[str, str], str]:
        """See :meth:`RegistryStore.contract_snapshots`."""
        sql = "SELECT contract_id, version, document FROM contract_snapshots WHERE product_id = %s"

        async def select(conn: Connection) -> builtins.list[DictRow]:
            return await (await conn.execute(sql, (product_id,))).fetchall()

        rows = await self._run(select)
        return {(row["contract_id"], row["version"]): row["document"] for row in rows}

    async def save_contract_versions(
        self, product_id: str, snapshots: Mapping[tuple[str, str], str], flags: str
    ) -> None:
        """See :meth:`RegistryStore.save_contract_versions`."""

        async def write(conn: Connection) -> None:
            async with conn.transaction():
                # The product row is locked so an unregister cannot interleave.
                held = await _fetchone(
                    conn, "SELECT 1 AS x FROM products WHERE id = %s FOR UPDATE", (product_id,)
                )
                if held is None:
                    return
                await conn.execute(
                    "DELETE FROM contract_snapshots WHERE product_id = %s", (product_id,)
                )
                async with conn.cursor() as cursor:
                    await cursor.executemany(
                        "INSERT INTO contract_snapshots (product_id, contract_id, version, "
                        "document) VALUES (%s, %s, %s, %s)",
                        [(product_id, c, v, text) for (c, v), text in snapshots.items()],
                    )
                await conn.execute(
                    "INSERT INTO version_flags (product_id, flags) VALUES (%s, %s) "
                    "ON CONFLICT (product_id) DO UPDATE SET flags = excluded.flags",
                    (product_id, flags),
                )

        await self._run(write)

    async def version_flags(self, product_id: str) -> str | None:
        """See :meth:`RegistryStore.version_flags`."""
        sql = "SELECT flags FROM version_flags WHERE product_id = %s"
        row = await self._run(lambda conn: _fetchone(conn, sql, (product_id,)))
        return None if row is None else str(row["flags"])

    async def close(self) -> None:
        """See :meth:`RegistryStore.close`."""
        await self._calls.close()


# The product's row of the index: each field's words with its class (search_index.FIELDS).
_DOC = " || ".join(
    f"setweight(to_tsvector('simple', %s), '{PG_CLASSES[field]}')" for field in FIELDS
)


async def _replace_places(
    conn: Connection, product: RegisteredProduct, places: Sequence[Place]
) -> None:
    # Each table's rows go in as one statement over arrays: a row per statement (even
    # pipelined) cost the client about 20 µs a row, 2 to 3 ms a product.
    await conn.execute("DELETE FROM search_places WHERE product_id = %s", (product.id,))
    await conn.execute(
        "INSERT INTO search_places (product_id, field, element, text, words) "
        "SELECT %s, f, e, t, w FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) "
        "WITH ORDINALITY AS p (f, e, t, w, n) ORDER BY n",  # ids in the places' order
        (product.id, *_columns(places, ("field", "element", "text", "words"))),
    )
    await conn.execute(
        f"INSERT INTO search_docs (product_id, key, doc) VALUES (%s, %s, {_DOC}) "
        "ON CONFLICT (product_id) DO UPDATE SET key = excluded.key, doc = excluded.doc",
        (product.id, product.key, *field_words(places)),
    )
    await conn.execute("DELETE FROM search_terms WHERE product_id = %s", (product.id,))
    weights = word_weights(places)
    await conn.execute(
        "INSERT INTO search_terms (lexeme, product_id, key, weight) "
        "SELECT l, %s, %s, w FROM unnest(%s::text[], %s::real[]) AS t (l, w)",
        (product.id, product.key, list(weights), list(weights.values())),
    )


def _columns(places: Sequence[Place], names: tuple[str, ...]) -> list[list[str | None]]:
    """``places`` column by column: one list per attribute in ``names``."""
    return [[getattr(p, name) for p in places] for name in names]


def _ranked(wanted: Sequence[Term], limit: int) -> tuple[str, list[object]]:
    """The query of the ``limit`` best products for ``wanted`` and its arguments: each
    term's rows of ``search_terms`` (a word, or the words it begins; a phrase through its
    first word, kept where the product's tsvector holds the phrase), summed per product.
    A few index rows per matching product, never its text."""
    parts: list[str] = []
    args: list[object] = []
    for term in wanted:
        single = len(term.runs) == 1
        if single and term.prefix:
            parts.append("SELECT product_id, key, weight FROM search_terms WHERE lexeme LIKE %s")
            args.append(_like(term.runs[0]) + "%")
        elif single:
            parts.append("SELECT product_id, key, weight FROM search_terms WHERE lexeme = %s")
            args.append(term.runs[0])
        else:
            parts.append(
                "SELECT product_id, key, weight FROM search_terms WHERE lexeme = %s AND "
                "product_id IN (SELECT product_id FROM search_docs "
                "WHERE doc @@ to_tsquery('simple', %s))"
            )
            args += [term.runs[0], term.tsquery()]
    sql = (
        f"SELECT product_id, sum(weight) AS score FROM ({' UNION ALL '.join(parts)}) hits "
        "GROUP BY product_id, key ORDER BY score DESC, key LIMIT %s"
    )
    return sql, [*args, limit]


def _like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern (its ``%``, ``_`` and ``\\`` escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _fetchone(conn: Connection, sql: str, args: Any) -> DictRow | None:
    return await (await conn.execute(sql, args)).fetchone()


def _where(
    domain: str | None, tag: str | None, text: str | None, after: ListingKey | None = None
) -> tuple[str, list[str]]:
    clauses: list[str] = []
    params: list[str] = []
    if after is not None:
        # A row comparison in the collation of the listing index, which it walks from there.
        clauses.append(f"({_LISTING}) > (%s, %s, %s, %s)")
        params.extend(after)
    if domain is not None:
        clauses.append("lower(domain) = lower(%s)")
        params.append(domain)
    if tag is not None:
        clauses.append("tag_keys @> jsonb_build_array(%s::text)")
        params.append(fold(tag))
    if text is not None:
        # strpos, not LIKE: the user's text is matched literally, '%' and '_' included.
        clauses.append("strpos(search, %s) > 0")
        params.append(fold(text))
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params
