"""Choose the server a product is read from and open one store per place its tables live."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts import ContractDocument
from productkit.errors import ProductConfigError
from productkit.stores.base import Store
from productkit.stores.files import COPY_MAX_BYTES, FileLocation, FileStore, locate
from productkit.stores.mysql import MySQLStore
from productkit.stores.postgres import PostgresStore
from productkit.tables import Table

SUPPORTED_TYPES = ("local", "postgres", "postgresql", "mysql")


@dataclass(frozen=True)
class StoreSet:
    """The open stores and which one holds each table (by table name)."""

    server: str
    stores: tuple[Store, ...]
    by_table: Mapping[str, Store]

    @property
    def concurrency(self) -> int:
        """How many calls the stores run at once, all together (their pools' sizes)."""
        return sum(store.concurrency for store in self.stores)

    def close(self) -> None:
        """Close every store."""
        for store in self.stores:
            store.close()


def servers_of(contract: ContractDocument) -> list[Mapping[str, Any]]:
    """The contract's ``servers`` entries."""
    return [s for s in contract.raw.get("servers") or [] if isinstance(s, dict)]


def choose_server(contracts: Sequence[ContractDocument], name: str | None) -> str:
    """The server name to read: ``name`` if given, else the first ``local`` server, else
    the first server of a type the kit reads. Raise :class:`ProductConfigError`."""
    every = [s for c in contracts for s in servers_of(c)]
    names = list(dict.fromkeys(str(s.get("server")) for s in every))
    if name is not None:
        if name not in names:
            raise ProductConfigError(
                f"no output contract has a server named {name!r} "
                f"(expected one of: {', '.join(names) or 'none declared'})"
            )
        return name
    for kinds in (("local",), SUPPORTED_TYPES):
        for server in every:
            if server.get("type") in kinds:
                return str(server.get("server"))
    raise ProductConfigError(
        "the output contracts declare no server the kit can read "
        f"(expected a server of type {', '.join(SUPPORTED_TYPES)})"
    )


def open_stores(
    tables: Sequence[Table],
    server_name: str,
    root: Path,
    env: Mapping[str, str],
    copy_max_bytes: int = COPY_MAX_BYTES,
) -> StoreSet:
    """Open the stores holding ``tables`` on the server called ``server_name``; CSV
    tables of at most ``copy_max_bytes`` are read from a copy in memory."""
    databases: dict[tuple[Any, ...], Store] = {}
    try:
        return _open(tables, server_name, root, env, databases, copy_max_bytes)
    except BaseException:
        # A later store that cannot open (a bad server, a bad pool size) must not leave
        # the pools of the earlier ones open.
        for store in databases.values():
            store.close()
        raise


def _open(
    tables: Sequence[Table],
    server_name: str,
    root: Path,
    env: Mapping[str, str],
    databases: dict[tuple[Any, ...], Store],
    copy_max_bytes: int,
) -> StoreSet:
    locations: dict[str, FileLocation] = {}
    by_table: dict[str, Store] = {}
    per_contract: dict[str, int] = {}
    for table in tables:
        per_contract[table.contract.source] = per_contract.get(table.contract.source, 0) + 1
    for table in tables:
        server = _server(table.contract, server_name)
        kind = server.get("type")
        if kind == "local":
            locations[table.name] = locate(server, table, per_contract[table.contract.source], root)
            continue
        key = tuple(str(server.get(k)) for k in ("type", "host", "port", "database", "schema"))
        if key not in databases:
            label = (
                f"{server_name}:{server.get('host')}:{server.get('port')}/{server.get('database')}"
            )
            if kind in ("postgres", "postgresql"):
                databases[key] = PostgresStore(label, server, env)
            elif kind == "mysql":
                databases[key] = MySQLStore(label, server, env)
            else:
                raise ProductConfigError(
                    f"{table.contract.source}: server {server_name!r} has type {kind!r}, "
                    f"which the kit does not read (expected one of {', '.join(SUPPORTED_TYPES)})"
                )
        by_table[table.name] = databases[key]
    stores: list[Store] = list(databases.values())
    if locations:
        files = FileStore(server_name, locations, copy_max_bytes)
        stores.insert(0, files)
        by_table.update({name: files for name in locations})
    return StoreSet(server_name, tuple(stores), by_table)


def _server(contract: ContractDocument, name: str) -> Mapping[str, Any]:
    for server in servers_of(contract):
        if server.get("server") == name:
            return server
    raise ProductConfigError(
        f"{contract.source}: contract {contract.id} {contract.version} has no server "
        f"named {name!r}, so its tables cannot be read"
    )
