"""Look into a registry's database behind the store's back, to check what it really keeps."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import psycopg

from gateway.registry.store import parse_registry_url


def execute(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Run ``sql`` on the registry database at ``url``; the rows it returns, if any."""
    location = parse_registry_url(url)
    if location.backend == "sqlite":
        with sqlite3.connect(location.target) as db:
            return db.execute(sql).fetchall()
    with psycopg.connect(location.target, autocommit=True) as conn:
        cursor = conn.execute(sql.encode())
        return cursor.fetchall() if cursor.description else []


def execute_args(url: str, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run ``sql`` with its ``args`` on the PostgreSQL registry at ``url``."""
    with psycopg.connect(parse_registry_url(url).target, autocommit=True) as conn:
        cursor = conn.execute(sql.encode(), args)
        return cursor.fetchall() if cursor.description else []


def tables(url: str) -> list[str]:
    """Names of the tables of the registry database."""
    location = parse_registry_url(url)
    if location.backend == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    else:
        sql = (
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' ORDER BY table_name"
        )
    return [row[0] for row in execute(url, sql)]


def columns(url: str, table: str) -> list[str]:
    """Column names of ``table``, in order."""
    location = parse_registry_url(url)
    if location.backend == "sqlite":
        return [row[1] for row in execute(url, f"PRAGMA table_info({table})")]
    sql = (
        "SELECT column_name FROM information_schema.columns "
        f"WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
    )
    return [row[0] for row in execute(url, sql)]


def dump(url: str, *, skip: tuple[str, ...] = (), only: tuple[str, ...] = ()) -> str:
    """Every value of every table (of the tables named ``only``, if given; not of those
    whose name starts with one of ``skip``), as one text to search in."""
    text = []
    for table in tables(url):
        if skip and table.startswith(skip):
            continue
        if only and table not in only:
            continue
        for row in execute(url, f"SELECT * FROM {table}"):
            text.append(" | ".join(str(value) for value in row))
    return "\n".join(text)
