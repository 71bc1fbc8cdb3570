"""Load the generated files into PostgreSQL and MariaDB, where the contracts' servers say.

PostgreSQL: one schema per product (the ``postgres`` server's ``schema``), in the
database of the DSN given, loaded with ``COPY``. MariaDB: one database per product (the
``mysql`` server's ``database``), for the products that declare one, loaded with batched
multi-row inserts. Both are idempotent: each table is dropped and created again, its
primary key from the contract. Rows are read from the files by DuckDB in batches, so
memory stays bounded at any scale. Each store records which data it holds once a load
is complete (:mod:`demo.datagen.stamp`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import duckdb
import psycopg
import pymysql
from psycopg import sql

from demo.datagen import stamp
from demo.datagen.catalog import Column, PublishedTable, published_tables

BATCH_ROWS = 10_000
_SIZED = re.compile(r"^(var)?char\((\d+)\)$")
_DUCKDB_TYPES = {
    "string": "VARCHAR", "date": "DATE", "timestamp": "TIMESTAMPTZ", "number": "DOUBLE",
    "integer": "BIGINT", "boolean": "BOOLEAN",
}  # fmt: skip

Log = Callable[[str], None]


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never fetches or loads extensions."""
    return duckdb.connect(
        ":memory:",
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )


def postgres_type(column: Column) -> str:
    """The PostgreSQL type of a contract column.

    >>> postgres_type(Column("x", "string", "varchar(11)", True, None))
    'varchar(11)'
    >>> postgres_type(Column("t", "timestamp", "timestamp with time zone", True, None))
    'timestamptz'
    """
    if column.logical_type == "string":
        return column.physical_type if _SIZED.match(column.physical_type) else "text"
    if column.logical_type == "integer":
        wide = column.physical_type in ("bigint", "smallint")
        return column.physical_type if wide else "integer"
    return {"date": "date", "timestamp": "timestamptz", "number": "double precision",
            "boolean": "boolean"}[column.logical_type]  # fmt: skip


def mariadb_type(column: Column) -> str:
    """The MariaDB type of a contract column (times are stored in UTC).

    >>> mariadb_type(Column("x", "string", "text", False, None))
    'VARCHAR(255)'
    """
    if column.logical_type == "string":
        sized = _SIZED.match(column.physical_type)
        return column.physical_type.upper() if sized else "VARCHAR(255)"
    if column.logical_type == "integer":
        wide = column.physical_type in ("bigint", "smallint")
        return column.physical_type.upper() if wide else "INT"
    return {"date": "DATE", "timestamp": "DATETIME(6)", "number": "DOUBLE",
            "boolean": "BOOLEAN"}[column.logical_type]  # fmt: skip


def read_rows(table: PublishedTable, out: Path, batch_rows: int) -> Iterator[list[tuple[Any, ...]]]:
    """The table's rows from its file, in contract column order, typed by the contract.

    Timestamps come out as naive UTC (``AT TIME ZONE 'UTC'``), as both databases take them.
    """
    path = str(table.local_file(out)).replace("'", "''")
    if path.endswith(".parquet"):
        source = f"read_parquet('{path}')"
    else:  # every column as text, cast below: the contract says the types, not a sniffer
        source = f"read_csv('{path}', all_varchar=true)"
    selected = []
    for c in table.columns:
        value = f'CAST("{c.name}" AS {_DUCKDB_TYPES[c.logical_type]})'
        if c.logical_type == "timestamp":
            value += " AT TIME ZONE 'UTC'"
        selected.append(value)
    db = connect()
    try:
        cursor = db.execute(f"SELECT {', '.join(selected)} FROM {source}")
        while batch := cursor.fetchmany(batch_rows):
            yield batch
    finally:
        db.close()


def load_postgres(
    dsn: str,
    out: Path,
    *,
    env: Mapping[str, str] | None = None,
    batch_rows: int = BATCH_ROWS,
    log: Log | None = None,
) -> dict[str, int]:
    """Load every table with a ``postgres`` server into the database of ``dsn``.

    Returns rows loaded by ``schema.table``.
    """
    loaded: dict[str, int] = {}
    with psycopg.connect(dsn) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        stamp.clear_postgres(conn)  # no longer the data it held, until the end
        for table in published_tables(env):
            server = table.servers.get("postgres")
            if server is None:
                continue
            schema = str(server["schema"])
            name = sql.Identifier(schema, table.physical_name)
            columns = [
                sql.SQL("{} {}{}").format(
                    sql.Identifier(c.name),
                    sql.SQL(postgres_type(c)),
                    sql.SQL(" NOT NULL" if c.required or c.key_position else ""),
                )
                for c in table.columns
            ]
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(name))
            conn.execute(sql.SQL("CREATE TABLE {} ({})").format(name, sql.SQL(", ").join(columns)))
            count = 0
            copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
                name, sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns)
            )
            with conn.cursor() as cur, cur.copy(copy_sql) as copy:
                for batch in read_rows(table, out, batch_rows):
                    for row in batch:
                        copy.write_row(row)
                    count += len(batch)
            if table.key:
                # Added after the copy: one index build instead of one insert per row.
                conn.execute(
                    sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(
                        name, sql.SQL(", ").join(sql.Identifier(k) for k in table.key)
                    )
                )
            conn.execute(sql.SQL("ANALYZE {}").format(name))
            conn.commit()
            loaded[f"{schema}.{table.physical_name}"] = count
            if log is not None:
                log(f"postgres {schema}.{table.physical_name}: {count} rows")
        stamp.write_postgres(conn, stamp.data_stamp(out))
    return loaded


def mariadb_connect(dsn: str, database: str | None = None) -> pymysql.connections.Connection[Any]:
    """A PyMySQL connection from ``mysql://user:password@host:port/``."""
    url = urlsplit(dsn)
    if url.scheme not in ("mysql", "mariadb"):
        raise ValueError(f"expected a mysql:// DSN, got {dsn!r}")
    return pymysql.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=unquote(url.username or ""),
        password=unquote(url.password or ""),
        database=database,
        charset="utf8mb4",
        autocommit=False,
    )


def _ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def load_mariadb(
    dsn: str,
    out: Path,
    *,
    env: Mapping[str, str] | None = None,
    batch_rows: int = 2_000,
    log: Log | None = None,
) -> dict[str, int]:
    """Load every table with a ``mysql`` server into its database on the server of ``dsn``.

    Returns rows loaded by ``database.table``.
    """
    loaded: dict[str, int] = {}
    conn = mariadb_connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SET time_zone = '+00:00'")
            stamped = stamp.mariadb_database(env)
            stamp.clear_mariadb(cur, stamped)  # no longer the data it held, until the end
            conn.commit()
            for table in published_tables(env):
                server = table.servers.get("mysql")
                if server is None:
                    continue
                database = str(server["database"])
                qualified = f"{_ident(database)}.{_ident(table.physical_name)}"
                columns = [
                    f"{_ident(c.name)} {mariadb_type(c)}"
                    + (" NOT NULL" if c.required or c.key_position else "")
                    for c in table.columns
                ]
                if table.key:
                    columns.append(f"PRIMARY KEY ({', '.join(_ident(k) for k in table.key)})")
                cur.execute(
                    f"CREATE DATABASE IF NOT EXISTS {_ident(database)} "
                    "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                )
                cur.execute(f"DROP TABLE IF EXISTS {qualified}")
                cur.execute(f"CREATE TABLE {qualified} ({', '.join(columns)}) ENGINE=InnoDB")
                insert = (
                    f"INSERT INTO {qualified} ({', '.join(_ident(c.name) for c in table.columns)}) "
                    f"VALUES ({', '.join(['%s'] * len(table.columns))})"
                )
                count = 0
                for batch in read_rows(table, out, batch_rows):
                    # PyMySQL turns executemany of one INSERT into multi-row statements.
                    cur.executemany(insert, batch)
                    count += len(batch)
                conn.commit()
                loaded[f"{database}.{table.physical_name}"] = count
                if log is not None:
                    log(f"mariadb {database}.{table.physical_name}: {count} rows")
            stamp.write_mariadb(cur, stamped, stamp.data_stamp(out))
            conn.commit()
    finally:
        conn.close()
    return loaded
