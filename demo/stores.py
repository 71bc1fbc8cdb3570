"""The demo products' rows in the PostgreSQL and MariaDB that Trino's catalogs read, loaded
unless they are already there.

``make serve ENGINE=trino`` (``demo/mesh.py up --engine trino``), the tests' Trino
fixtures and ``bench/sql_overhead.py`` all need the stores to hold the rows of the current
``demo/data``; a load takes seconds and drops the tables it fills, so it runs only when the
stores hold other data (each store's stamp, :mod:`demo.datagen.stamp`, differs from the
generator's marker, hashed) or a table does not hold as many rows as its file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql

from demo.datagen import MARKER, load_mariadb, load_postgres
from demo.datagen.catalog import PublishedTable, published_tables
from demo.datagen.loaders import mariadb_connect
from demo.datagen.stamp import data_stamp, mariadb_database, mariadb_stamp, postgres_stamp

ROOT = Path(__file__).resolve().parent.parent
DEMO_DATA = ROOT / "demo" / "data"
# The servers of scripts/services.sh, as the Trino catalogs of scripts/trino/catalog/ name them.
DEMO_PG_DSN = "postgresql://postgres@127.0.0.1:55432/meshgate_demo"
DEMO_MARIADB_DSN = "mysql://meshgate:meshgate@127.0.0.1:53306/"
LOAD_LOCK_KEY = 0x6D65_7368_6465_6D6F  # "meshdemo": PostgreSQL's advisory lock for a load


class StoresNotLoaded(RuntimeError):
    """The demo data is missing, or the loaders ran and the stores still differ from it."""


@dataclass(frozen=True)
class StoredTable:
    """One demo table, where its file is and where the stores hold a copy of it."""

    product: str  # the product's folder name, e.g. "us-precipitation"
    name: str  # the physical table name
    file: Path
    postgres_schema: str | None
    mariadb_database: str | None


def demo_tables(data: Path = DEMO_DATA, env: Mapping[str, str] | None = None) -> list[StoredTable]:
    """The demo tables that have a ``postgres`` or ``mysql`` server (``env``: the
    contracts' variables, default settings when None)."""
    found: dict[tuple[str, str], StoredTable] = {}
    for table in published_tables(env=env or {}):
        stored = _stored(table, data)
        if stored.postgres_schema or stored.mariadb_database:
            found.setdefault((stored.product, stored.name), stored)
    return list(found.values())


def _stored(table: PublishedTable, data: Path) -> StoredTable:
    pg = table.servers.get("postgres")
    my = table.servers.get("mysql")
    file = table.local_file(data)
    return StoredTable(
        product=file.parent.name,
        name=table.physical_name,
        file=file,
        postgres_schema=str(pg["schema"]) if pg else None,
        mariadb_database=str(my["database"]) if my else None,
    )


def file_rows(path: Path) -> int:
    """Rows of a demo Parquet or CSV file, counted by DuckDB."""
    reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
    with duckdb.connect(":memory:") as db:
        found = db.execute(f"SELECT count(*) FROM {reader}(?)", [str(path)]).fetchone()
    assert found is not None
    return int(found[0])


def _postgres_rows(dsn: str, schema: str, table: str) -> int | None:
    with psycopg.connect(dsn, connect_timeout=3) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", [f'"{schema}"."{table}"']).fetchone()
        if exists is None or exists[0] is None:
            return None
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
        row = conn.execute(query).fetchone()
    return None if row is None else int(row[0])


def _mariadb_rows(dsn: str, database: str, table: str) -> int | None:
    conn = mariadb_connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM information_schema.tables"
                " WHERE table_schema = %s AND table_name = %s",
                (database, table),
            )
            exists = cur.fetchone()
            if not exists or not exists[0]:
                return None
            cur.execute(f"SELECT count(*) FROM `{database}`.`{table}`")
            row = cur.fetchone()
    finally:
        conn.close()
    return None if row is None else int(row[0])


def _stores_hold(
    tables: list[StoredTable], expected: Mapping[Path, int], pg_dsn: str, mariadb_dsn: str
) -> bool:
    for table in tables:
        want = expected[table.file]
        if (
            table.postgres_schema
            and _postgres_rows(pg_dsn, table.postgres_schema, table.name) != want
        ):
            return False
        if (
            table.mariadb_database
            and _mariadb_rows(mariadb_dsn, table.mariadb_database, table.name) != want
        ):
            return False
    return True


def _stamps(pg_dsn: str, mariadb_dsn: str, env: Mapping[str, str] | None) -> tuple[str | None, ...]:
    """What each store says it holds (:mod:`demo.datagen.stamp`)."""
    conn = mariadb_connect(mariadb_dsn)
    try:
        with conn.cursor() as cur:
            held = mariadb_stamp(cur, mariadb_database(env))
    finally:
        conn.close()
    return postgres_stamp(pg_dsn), held


@contextlib.contextmanager
def _load_lock(pg_dsn: str) -> Iterator[None]:
    """Two loads must not run at once: make serve and a test run, xdist workers, or two
    checkouts sharing the servers. The lock is PostgreSQL's (a session advisory lock on
    the server they share), so it holds across checkouts; it ends with its connection."""
    with psycopg.connect(pg_dsn, connect_timeout=3, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [LOAD_LOCK_KEY])
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [LOAD_LOCK_KEY])


def ensure_loaded(
    mariadb_dsn: str = DEMO_MARIADB_DSN,
    pg_dsn: str = DEMO_PG_DSN,
    *,
    data: Path = DEMO_DATA,
    env: Mapping[str, str] | None = None,
) -> list[StoredTable]:
    """Load the demo products into PostgreSQL ``meshgate_demo`` and MariaDB unless they are there.

    "There" means: each store's stamp says it holds the data under ``data`` (the
    generator's marker, hashed: :mod:`demo.datagen.stamp`; written by the loaders once a
    load is complete, in the store, so that a load from another checkout sharing the
    servers is seen) and every table holds as many rows as its file. ``env`` names the
    stores' databases as the contracts' variables do (tests use their own).
    """
    if not (data / MARKER).is_file():
        raise StoresNotLoaded(f"no demo data in {data}: run `make demo-data` first")
    tables = demo_tables(data, env)
    wanted = data_stamp(data)
    with _load_lock(pg_dsn):
        expected = {table.file: file_rows(table.file) for table in tables}
        if _stamps(pg_dsn, mariadb_dsn, env) == (wanted, wanted) and _stores_hold(
            tables, expected, pg_dsn, mariadb_dsn
        ):
            return tables
        load_postgres(pg_dsn, data, env=env or {})
        load_mariadb(mariadb_dsn, data, env=env or {})
        if _stamps(pg_dsn, mariadb_dsn, env) != (wanted, wanted) or not _stores_hold(
            tables, expected, pg_dsn, mariadb_dsn
        ):
            raise StoresNotLoaded("the demo loaders ran but the stores do not hold the files' rows")
    return tables
