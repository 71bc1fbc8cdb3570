"""The SQL that makes each catalog table a DuckDB view over its data, read in place.

A ``local`` table becomes ``CREATE VIEW <parts> AS SELECT <declared columns> FROM
read_parquet(<file>)`` (or ``read_csv``/``read_json``); a ``postgres`` table a view over
the PostgreSQL database the engine attached under a private alias. Only the contract's
declared columns are selected, under their contract names, cast to the contract's type
where the store's type differs (so both engines answer with the same types).

The statements are built from the registry's contracts, not from a caller's query;
identifiers and literals are quoted here, in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from gateway.csv_dialect import Dialect, read_call
from gateway.federation.reach import GLOB_CHARS, LEAVES_ROOTS, OutOfReach, Reach

if TYPE_CHECKING:
    from gateway.federation.catalog import CatalogColumn, CatalogTable, PhysicalLocation

_INTEGERS = {"tinyint", "smallint", "integer", "int", "bigint", "hugeint"}
_LOGICAL_TYPES = {
    "string": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "number": "DOUBLE",
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
}
_READERS = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json"}


def quote_ident(name: str) -> str:
    """``name`` as a DuckDB identifier.

    >>> quote_ident('we"ird')
    '"we""ird"'
    """
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """``text`` as a DuckDB string literal.

    >>> quote_literal("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


def qualified(parts: Sequence[str]) -> str:
    """Identifier parts joined as one qualified name.

    >>> qualified(("mesh", "a__b"))
    '"mesh"."a__b"'
    """
    return ".".join(quote_ident(p) for p in parts)


def contract_type(column: CatalogColumn) -> str | None:
    """The DuckDB type a contract column has on every engine, or None to keep the store's.

    >>> from types import SimpleNamespace as C
    >>> contract_type(C(logical_type="integer", physical_type="bigint"))
    'BIGINT'
    >>> contract_type(C(logical_type="number", physical_type="double"))
    'DOUBLE'
    """
    logical = (column.logical_type or "").lower()
    physical = (column.physical_type or "").lower()
    if logical == "integer" and physical in _INTEGERS - {"int"}:
        return physical.upper()
    return _LOGICAL_TYPES.get(logical)


def postgres_scanner_path() -> Path:
    """The signed ``postgres_scanner`` extension shipped by the PyPI package of our DuckDB.

    The package ``duckdb-extension-postgres-scanner`` is pinned to DuckDB's version, so
    the extension is loaded from disk and never downloaded.
    """
    root = resources.files("duckdb_extension_postgres_scanner")
    path = Path(str(root)) / "extensions" / f"v{duckdb.__version__}"
    return path / "postgres_scanner.duckdb_extension"


@dataclass(frozen=True)
class FileSource:
    """The local files a view reads (resolved, inside the data roots) and their reader.

    A glob is expanded once, when the view is made: the view reads exactly the files
    that matched then, each checked, so a file or symlink appearing later is never read.
    """

    files: tuple[Path, ...]
    reader: str

    def allowed(self) -> list[str]:
        """The ``allowed_paths`` entries granting these files only."""
        return [str(f) for f in self.files]

    def relation(self, dialect: Dialect | None = None) -> str:
        """The table function call reading the source (CSV: every column as text, with
        ``dialect``'s options when given, else detected at every read)."""
        if dialect is not None and self.reader == "read_csv":
            call: str = read_call([str(f) for f in self.files], dialect).sql(dialect="duckdb")
            return call
        options = ", all_varchar = true" if self.reader == "read_csv" else ""
        if len(self.files) == 1:
            listed = quote_literal(str(self.files[0]))
        else:
            listed = "[" + ", ".join(quote_literal(str(f)) for f in self.files) + "]"
        return f"{self.reader}({listed}{options})"


def file_source(
    location: PhysicalLocation, reach: Reach, glob: Callable[[str], list[str]]
) -> FileSource:
    """The files a ``local`` location reads, each inside ``reach``'s data roots.

    ``glob`` lists the files a pattern matches (DuckDB's own ``glob()``, so patterns mean
    what they mean to DuckDB). Raises :class:`~gateway.federation.reach.OutOfReach` for a
    path or a match outside the roots, ``ValueError`` for an unknown format or no match.
    """
    source = location.source
    raw = str(source["path"]).replace("{table}", str(source.get("table", "")))
    path = reach.local_path(raw)
    fmt = str(source.get("format") or path.suffix.lstrip(".")).lower()
    if fmt not in _READERS:
        raise ValueError(f"unsupported local format {fmt!r}")
    if not GLOB_CHARS.search(str(path)):
        return FileSource((path,), _READERS[fmt])
    files = []
    for found in sorted(glob(str(path))):
        resolved = Path(found).resolve()
        if not reach.inside(resolved):
            raise OutOfReach(LEAVES_ROOTS)
        files.append(resolved)
    if not files:
        raise ValueError("no file matches the local server path")
    return FileSource(tuple(dict.fromkeys(files)), _READERS[fmt])


def postgres_key(source: Mapping[str, Any]) -> str:
    """The key of a postgres server in ``postgres_dsns``: ``host:port/database``.

    >>> postgres_key({"host": "127.0.0.1", "port": 55432, "database": "meshgate_demo"})
    '127.0.0.1:55432/meshgate_demo'
    """
    return f"{source.get('host', '')}:{source.get('port', 5432)}/{source.get('database', '')}"


def default_postgres_dsn(source: Mapping[str, Any]) -> str:
    """A libpq DSN for a postgres server; user and password come from libpq's own
    environment (``PGUSER``, ``PGPASSWORD``, ``~/.pgpass``).

    >>> default_postgres_dsn({"host": "db", "port": 5432, "database": "demo"})
    "host='db' port='5432' dbname='demo' connect_timeout='10'"
    """
    fields = {
        "host": source.get("host"),
        "port": source.get("port"),
        "dbname": source.get("database"),
        "connect_timeout": 10,  # a server that is down must not hold up the start
    }
    return " ".join(f"{k}={quote_literal(str(v))}" for k, v in fields.items() if v)


def view_select(table: CatalogTable, relation: str, store_types: Mapping[str, str]) -> str:
    """``SELECT`` of the declared columns of ``table`` from ``relation``.

    ``store_types`` maps the store's column names to their DuckDB types; a declared
    column the store lacks raises ``ValueError`` (the contract and the data disagree).
    """
    selected = []
    for column in table.columns:
        physical = column.physical_name or column.name
        if physical not in store_types:
            raise ValueError(f"column {physical!r} of {table.logical} is not in its data")
        wanted = contract_type(column)
        value = quote_ident(physical)
        if wanted is not None and store_types[physical].upper() != wanted:
            value = f"CAST({value} AS {wanted})"
        selected.append(f"{value} AS {quote_ident(column.name)}")
    return f"SELECT {', '.join(selected)} FROM {relation}"
