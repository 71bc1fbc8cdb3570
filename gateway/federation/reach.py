"""What the SQL engines may read: decided by the operator, never by a contract.

A product's contract says where its tables live (``servers``), but a registered product
is third-party input: its ``local`` path could name any file on the gateway host, its
``trino`` server any Trino catalog (``system`` included), its ``postgres`` server any host
the gateway can reach with its own credentials. :class:`Reach` holds what the operator
allows (settings ``sql_data_roots``, ``trino_allowed_catalogs``, ``sql_allowed_db_hosts``)
and :meth:`Reach.judge` tells, for one engine location, why it is out of reach, or
``None``. The catalog drops a location that is out of reach and keeps the reason; the
DuckDB engine asks again before it opens anything (defence in depth).

Reasons never carry a path, a host or a catalog name: callers see them.

>>> reach = Reach.of(root=Path("/srv/data"))
>>> reach.local_reason("/etc/passwd")
'local server path leaves the data roots'
>>> reach.local_reason("products/a/*.parquet") is None
True
>>> reach.local_reason("products/*/../../../etc/passwd")
"local server path climbs with '..' after a glob"
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.federation.catalog import PhysicalLocation
    from gateway.settings import Settings

GLOB_CHARS = re.compile(r"[*?\[{]")
"""Characters that make a DuckDB file path a pattern."""

SYSTEM_SCHEMAS = frozenset(
    {"information_schema", "pg_catalog", "system", "sys", "mysql", "performance_schema"}
)
"""Metadata schemas no contract may map a table onto, in any catalog or database."""

_DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}
LEAVES_ROOTS = "local server path leaves the data roots"


@dataclass(frozen=True)
class LocalFiles:
    """A local path the reach accepted: ``path`` resolved (a glob: its fixed prefix
    resolved, the pattern kept), and the paths it names now, resolved (a plain path:
    itself; a glob: its matches)."""

    path: Path
    glob: bool
    matches: tuple[Path, ...]


class OutOfReach(ValueError):
    """A contract's server points where the operator did not allow; the message is safe
    to show to callers."""


@dataclass(frozen=True)
class Reach:
    """The operator's limits on what engines read.

    ``root`` resolves relative ``local`` paths; ``data_roots`` are the folders every local
    path (symlinks followed) must stay inside; ``trino_catalogs`` the Trino catalogs a
    location may name (``system`` never); ``db_hosts`` the ``host:port`` a postgres or
    mysql server may point at. Every name compares lower-case.
    """

    root: Path
    data_roots: tuple[Path, ...]
    trino_catalogs: frozenset[str]
    db_hosts: frozenset[str]

    @classmethod
    def of(
        cls,
        *,
        root: Path | str = ".",
        data_roots: Iterable[Path | str] = (),
        trino_catalogs: Iterable[str] = ("demo_pg", "demo_mariadb"),
        db_hosts: Iterable[str] = ("127.0.0.1:55432", "localhost:55432",
                                   "127.0.0.1:53306", "localhost:53306"),
    ) -> Reach:  # fmt: skip
        """A reach with ``root`` resolved now; no ``data_roots`` means ``root`` alone.

        >>> sorted(Reach.of(trino_catalogs=["Lake", "system"]).trino_catalogs)
        ['lake']
        """
        base = Path(os.path.realpath(root))
        roots = tuple(Path(os.path.realpath(base / r)) for r in data_roots) or (base,)
        catalogs = {c.strip().lower() for c in trino_catalogs if c.strip()} - {"system"}
        hosts = {_host_key(h) for h in db_hosts if h.strip()}
        return cls(base, roots, frozenset(catalogs), frozenset(hosts))

    @classmethod
    def from_settings(cls, settings: Settings) -> Reach:
        """The reach ``settings`` allow (comma-separated lists)."""
        return cls.of(
            root=settings.data_root,
            data_roots=_split(settings.sql_data_roots),
            trino_catalogs=_split(settings.trino_allowed_catalogs),
            db_hosts=_split(settings.sql_allowed_db_hosts),
        )

    # -- judging ---------------------------------------------------------------------

    def judge(self, location: PhysicalLocation) -> str | None:
        """Why ``location`` is out of reach, or ``None`` when the engine may read it."""
        return self.place(location)[0]

    def place(self, location: PhysicalLocation) -> tuple[str | None, LocalFiles | None]:
        """Why ``location`` is out of reach (or ``None``) and, for a ``local`` location in
        reach, what it resolved to: the catalog keeps it so that deciding which product
        owns a file (:mod:`gateway.federation.location_owner`) does not resolve again."""
        source = location.source
        kind = str(source.get("type", "local")).lower()
        if kind == "local":
            try:
                return None, self.local_files(str(source.get("path", "")))
            except OutOfReach as exc:
                return str(exc), None
        return self._server_reason(location, kind), None

    def _server_reason(self, location: PhysicalLocation, kind: str) -> str | None:
        source = location.source
        if kind in _DEFAULT_PORTS and not self.host_allowed(source, kind):
            return f"{kind} server host is not one the operator allows"
        if location.engine == "trino" and location.parts[0].lower() not in self.trino_catalogs:
            return "trino catalog is not one the operator allows"
        if len(location.parts) >= 2 and location.parts[-2].lower() in SYSTEM_SCHEMAS:
            return "server schema is a system schema"
        return None

    def local_reason(self, raw: str) -> str | None:
        """Why the local path ``raw`` is out of reach, or ``None``."""
        try:
            self.local_path(raw)
        except OutOfReach as exc:
            return str(exc)
        return None

    def local_path(self, raw: str) -> Path:
        """The absolute path ``raw`` names, once it is known to stay inside the data roots.

        A plain path comes back resolved (symlinks followed). A glob comes back as written
        under ``root``: its fixed prefix resolves inside a root, no ``..`` follows the
        first pattern, and every file it matches now is inside a root; files change, so
        a reader checks its own matches again with :meth:`inside`. Raises
        :class:`OutOfReach`.
        """
        return self.local_files(raw).path

    def local_files(self, raw: str) -> LocalFiles:
        """:meth:`local_path` with, for a glob, the files it matches now (resolved)."""
        if not raw or "\0" in raw or "://" in raw or re.match(r"^[A-Za-z][\w+.-]*:", raw):
            raise OutOfReach("local server path is not a file path")
        path = self.root / raw  # an absolute raw stays absolute
        parts = path.parts
        first = next((i for i, p in enumerate(parts) if GLOB_CHARS.search(p)), None)
        if first is None:
            resolved = Path(os.path.realpath(path))
            if not self.inside(resolved):
                raise OutOfReach(LEAVES_ROOTS)
            return LocalFiles(resolved, False, (resolved,))
        if ".." in parts[first:]:
            raise OutOfReach("local server path climbs with '..' after a glob")
        if not self.inside(Path(*parts[:first])):
            raise OutOfReach(LEAVES_ROOTS)
        pattern = Path(os.path.realpath(Path(*parts[:first]))).joinpath(*parts[first:])
        matches = []
        for match in glob.iglob(str(pattern), recursive=True):
            real = Path(os.path.realpath(match))
            if not self.inside(real):
                raise OutOfReach(LEAVES_ROOTS)
            matches.append(real)
        return LocalFiles(pattern, True, tuple(matches))

    def inside(self, path: Path) -> bool:
        """Whether ``path``, symlinks followed and ``..`` normalised, is in a data root."""
        real = Path(os.path.realpath(path))
        return any(real == root or real.is_relative_to(root) for root in self.data_roots)

    def host_allowed(self, source: Mapping[str, Any], kind: str) -> bool:
        """Whether a ``postgres``/``mysql`` server's ``host:port`` is in the operator's list."""
        port = source.get("port") or _DEFAULT_PORTS[kind]
        return _host_key(f"{source.get('host') or ''}:{port}") in self.db_hosts


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _host_key(text: str) -> str:
    """``host:port`` lower-case, IPv6 brackets dropped.

    >>> _host_key(" [::1]:5432 ")
    '::1:5432'
    """
    host, _, port = text.strip().lower().rpartition(":")
    return f"{host.strip('[]')}:{port}"


__all__ = ["GLOB_CHARS", "LEAVES_ROOTS", "SYSTEM_SCHEMAS", "LocalFiles", "OutOfReach", "Reach"]
