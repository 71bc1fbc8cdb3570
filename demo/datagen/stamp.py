"""Which generation of the demo data a store holds, recorded in the store itself.

Several checkouts (worktrees, a clean clone for CI) may share one PostgreSQL and one
MariaDB (``scripts/services.sh`` reuses a server already answering on its port), and
data generated on another day has the same row counts with other dates. So "what is
loaded" is the store's fact, not the checkout's: each loader empties its store's stamp
before it drops a table and writes it once every table is loaded, so a half-done load,
or another checkout's, never passes for this one's.

The stamp is the generator's marker (``<out>/.generated``: seed, scale, end date, row
counts), hashed. PostgreSQL keeps it in a one-row table ``public.meshgate_demo_loaded``
of the DSN's database; MariaDB in a database of that name, prefixed like the products'
(``MESHGATE_DEMO_MYSQL_PREFIX``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psycopg

from demo.datagen.pipeline import MARKER

NAME = "meshgate_demo_loaded"


def data_stamp(out: Path) -> str:
    """The stamp of the data under ``out``: its marker hashed ("unmarked" without one)."""
    marker = out / MARKER
    if not marker.is_file():
        return "unmarked"
    return hashlib.sha1(marker.read_bytes()).hexdigest()


def mariadb_database(env: Mapping[str, str] | None) -> str:
    """The MariaDB database holding the stamp, prefixed like the products' databases."""
    return (env or {}).get("MESHGATE_DEMO_MYSQL_PREFIX", "") + NAME


# --- PostgreSQL: a psycopg connection in the DSN's database ---------------------------------


def clear_postgres(conn: psycopg.Connection[Any]) -> None:
    conn.execute(f"CREATE TABLE IF NOT EXISTS public.{NAME} (stamp text NOT NULL)")
    conn.execute(f"DELETE FROM public.{NAME}")
    conn.commit()


def write_postgres(conn: psycopg.Connection[Any], stamp: str) -> None:
    conn.execute(f"INSERT INTO public.{NAME} (stamp) VALUES (%s)", [stamp])
    conn.commit()


def postgres_stamp(dsn: str) -> str | None:
    """The stamp PostgreSQL holds (None: none, or no complete load)."""
    with psycopg.connect(dsn, connect_timeout=3) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", [f"public.{NAME}"]).fetchone()
        if exists is None or exists[0] is None:
            return None
        row = conn.execute(f"SELECT stamp FROM public.{NAME}").fetchone()
    return None if row is None else str(row[0])


# --- MariaDB: a PyMySQL cursor ---------------------------------------------------------------


def _ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _table(database: str) -> str:
    return f"{_ident(database)}.`stamp`"


def clear_mariadb(cur: Any, database: str) -> None:
    cur.execute(f"CREATE DATABASE IF NOT EXISTS {_ident(database)}")
    cur.execute(f"CREATE TABLE IF NOT EXISTS {_table(database)} (stamp VARCHAR(64) NOT NULL)")
    cur.execute(f"DELETE FROM {_table(database)}")


def write_mariadb(cur: Any, database: str, stamp: str) -> None:
    cur.execute(f"INSERT INTO {_table(database)} (stamp) VALUES (%s)", (stamp,))


def mariadb_stamp(cur: Any, database: str) -> str | None:
    """The stamp MariaDB holds (None: none, or no complete load)."""
    cur.execute(
        "SELECT count(*) FROM information_schema.tables"
        " WHERE table_schema = %s AND table_name = 'stamp'",
        (database,),
    )
    found = cur.fetchone()
    if not found or not found[0]:
        return None
    cur.execute(f"SELECT stamp FROM {_table(database)}")
    row = cur.fetchone()
    return None if row is None else str(row[0])
