"""Each physical location belongs to one product: no product reads another's data.

The planner applies a table's access rules (roles, masks, row filters) from the table's
OWN contract. A product's contract could otherwise point its ``servers`` at another
product's data inside the operator's reach (the same Parquet file, a glob or a parent
folder matching it, the same PostgreSQL ``schema.table``, the same Trino table) and
serve it under a contract of its own: with roles that let everyone read and no column
classified, the victim's restricted columns come back in clear.

So a location is claimed by the product registered first (``registered_at``, then the
product id); a later product whose location overlaps one an earlier product claims
loses that location on that engine, and its table is unavailable there with a reason
that names neither the other product nor its paths. Contract versions and tables of
the SAME product never conflict with one another.

What overlaps:

* local files: the same resolved file, one folder holding the other's files, a glob
  whose pattern can match the other's files or folders (compared part by part, ``**``
  matching anything below), or, whatever the spelling, the same file on disk now (device
  and inode of each file and of the folders above it: hard links, case-insensitive file
  systems);
* databases, compared lower-case as PostgreSQL, MariaDB and Trino fold names: the same
  ``host:port`` (loopback spellings alike), database, schema and table; and the Trino
  table a postgres or mysql server is read as (``trino_catalogs``), so a ``trino``
  server and a ``postgres`` server naming the same table collide.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.federation.reach import GLOB_CHARS, LocalFiles

if TYPE_CHECKING:
    from gateway.federation.catalog import CatalogTable, PhysicalLocation

TAKEN = "its data location belongs to another product"
"""The reason a later claimant's table is unavailable: no path, host or product named."""

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "ip6-localhost"})

FileId = tuple[int, int]  # (st_dev, st_ino)


@dataclass(frozen=True)
class Claim:
    """What one location reads: ``keys`` of database tables, or ``parts`` of a local path
    (a glob's parts are patterns), ``own`` the files on disk it names now and ``above``
    those with every folder above them."""

    keys: frozenset[tuple[str, ...]] = frozenset()
    parts: tuple[str, ...] = ()
    own: frozenset[FileId] = frozenset()
    above: frozenset[FileId] = frozenset()

    def overlaps(self, other: Claim) -> bool:
        """Whether this location and ``other`` may read the same data."""
        if self.keys & other.keys:
            return True
        if not self.parts or not other.parts:
            return False
        return bool(self.own & other.above or other.own & self.above) or _paths_meet(
            self.parts, other.parts
        )


def assign_owners(
    tables: Sequence[CatalogTable],
    *,
    registered: Mapping[str, datetime] | None = None,
    trino_catalogs: Mapping[str, str] | None = None,
) -> list[CatalogTable]:
    """``tables`` with each location an earlier product claims moved to ``unavailable``.

    ``registered`` maps product ids to their registration time; products missing from it
    come after those in it; the product id breaks ties. ``trino_catalogs`` are the
    catalog's Trino catalogs for postgres and mysql servers.
    """
    times = registered or {}

    def order(product_id: str) -> tuple[float, str]:
        when = times.get(product_id)
        return (when.timestamp() if when is not None else math.inf, product_id)

    catalogs = trino_catalogs or {}
    ids: dict[Path, FileId | None] = {}  # folders shared by many files are looked up once
    keys: dict[tuple[str, ...], str] = {}  # database table -> its owner
    files: list[tuple[str, Claim]] = []  # (owner, local claim), in order of the owners
    result: dict[int, CatalogTable] = {}
    by_product: dict[str, list[int]] = {}
    for index, table in enumerate(tables):
        by_product.setdefault(table.product_id, []).append(index)
    for product_id in sorted(by_product, key=order):
        kept: list[tuple[str, Claim]] = []
        for index in by_product[product_id]:
            table = tables[index]
            locations = dict(table.locations)
            unavailable = dict(table.unavailable)
            for engine, location in table.locations.items():
                claim = claim_of(location, catalogs, ids)
                if any(keys.get(key, product_id) != product_id for key in claim.keys) or any(
                    owner != product_id and claim.overlaps(c) for owner, c in files
                ):
                    del locations[engine]
                    unavailable[engine] = TAKEN
                else:
                    kept.append((product_id, claim))
            changed = len(locations) != len(table.locations)
            result[index] = (
                replace(table, locations=locations, unavailable=unavailable) if changed else table
            )
        for owner, claim in kept:
            keys.update(dict.fromkeys(claim.keys, owner))
            if claim.parts:
                files.append((owner, claim))
    return [result[i] for i in range(len(tables))]


def claim_of(
    location: PhysicalLocation,
    trino_catalogs: Mapping[str, str],
    ids: dict[Path, FileId | None] | None = None,
) -> Claim:
    """What ``location`` reads, for comparing with other products' locations (``ids``:
    the files already looked up on disk)."""
    source = location.source
    kind = str(source.get("type", "local")).lower()
    if kind == "local":
        files = location.files or LocalFiles(Path(str(source.get("path", ""))), False, ())
        return _local_claim(files, {} if ids is None else ids)
    parts = tuple(p.lower() for p in location.parts)
    keys: set[tuple[str, ...]] = set()
    if location.engine == "trino":
        keys.add(("trino", *parts))
    if kind in ("postgres", "mysql"):
        host = _host(source, kind)
        database = str(source.get("database") or "").lower()
        if kind == "postgres":
            keys.add(("postgres", host, database, *parts[-2:]))
        else:  # a MariaDB database is its schema
            keys.add(("mysql", host, *parts[-2:]))
        if kind in trino_catalogs:
            keys.add(("trino", trino_catalogs[kind].lower(), *parts[-2:]))
    return Claim(keys=frozenset(keys))


def _local_claim(files: LocalFiles, ids: dict[Path, FileId | None]) -> Claim:
    own: set[FileId] = set()
    above: set[FileId] = set()
    for path in files.matches:
        chain = [_file_id(p, ids) for p in (path, *path.parents)]
        if chain[0] is not None:
            own.add(chain[0])
        above.update(i for i in chain if i is not None)
    return Claim(parts=files.path.parts, own=frozenset(own), above=frozenset(above))


def _file_id(path: Path, ids: dict[Path, FileId | None]) -> FileId | None:
    if path not in ids:
        try:
            found = os.stat(path)
            ids[path] = (found.st_dev, found.st_ino)
        except OSError:
            ids[path] = None
    return ids[path]


def _host(source: Mapping[str, object], kind: str) -> str:
    """``host:port`` lower-case, every loopback spelling alike."""
    host = str(source.get("host") or "").strip().lower().strip("[]")
    port = str(source.get("port") or {"postgres": 5432, "mysql": 3306}[kind]).strip()
    return f"{'loopback' if host in _LOOPBACK else host}:{port}"


def _paths_meet(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two absolute paths (parts may be glob patterns) may name the same file or
    one a folder above the other's: every pair of parts up to the shorter path (or up to
    a ``**``, which matches any depth) may match the same name.

    >>> _paths_meet(("/", "d", "a.csv"), ("/", "d", "*.csv"))
    True
    >>> _paths_meet(("/", "d"), ("/", "d", "x", "a.csv"))
    True
    >>> _paths_meet(("/", "d", "x_*.csv"), ("/", "d", "y_*.csv"))
    False
    >>> _paths_meet(("/", "d", "**", "z.csv"), ("/", "d", "e", "f", "a.csv"))
    True
    >>> _paths_meet(("/", "d", "a.csv"), ("/", "d", "b.csv"))
    False
    """
    for x, y in zip(a, b, strict=False):
        if x == "**" or y == "**":
            return True
        if not _parts_meet(x, y):
            return False
    return True


def _parts_meet(x: str, y: str) -> bool:
    """Whether two path parts may match one name: equal names; a name the pattern
    matches; two patterns whose fixed heads and tails agree (a cautious answer).

    >>> _parts_meet("a.parquet", "*.parquet"), _parts_meet("*.csv", "*.parquet")
    (True, False)
    >>> _parts_meet("t_*", "*_x"), _parts_meet("[ab]*", "c*")
    (True, True)
    """
    x_glob, y_glob = bool(GLOB_CHARS.search(x)), bool(GLOB_CHARS.search(y))
    if not x_glob and not y_glob:
        return x == y
    if not y_glob:
        return _pattern(x).fullmatch(y) is not None
    if not x_glob:
        return _pattern(y).fullmatch(x) is not None
    head_x, head_y = _fixed_head(x), _fixed_head(y)
    tail_x, tail_y = _fixed_head(x[::-1]), _fixed_head(y[::-1])
    heads = head_x.startswith(head_y) or head_y.startswith(head_x)
    tails = tail_x.startswith(tail_y) or tail_y.startswith(tail_x)
    return heads and tails


def _fixed_head(part: str) -> str:
    found = GLOB_CHARS.search(part)
    # ']' and '}' close a pattern: reversed, they open one.
    closing = re.search(r"[\]}]", part)
    ends = [m.start() for m in (found, closing) if m is not None]
    return part[: min(ends)] if ends else part


@cache
def _pattern(part: str) -> re.Pattern[str]:
    """A regular expression for one glob part: ``*``, ``?``, ``[...]`` and ``{a,b}``.

    >>> bool(_pattern("{a,b}_[!x]?.csv").fullmatch("b_yz.csv"))
    True
    """
    out: list[str] = []
    i = 0
    while i < len(part):
        char = part[i]
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char == "[" and "]" in part[i + 1 :]:
            end = part.index("]", i + 1)
            body = part[i + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\")
            out.append(f"[{'^' if negate else ''}{body}]" if body else ".")
            i = end
        elif char == "{" and "}" in part[i + 1 :]:
            end = part.index("}", i + 1)
            choices = part[i + 1 : end].split(",")
            out.append("(?:" + "|".join(re.escape(c) for c in choices) + ")")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


__all__ = ["TAKEN", "Claim", "assign_owners", "claim_of"]
