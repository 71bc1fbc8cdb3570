"""The storage interface of the registry, and :func:`open_registry` that picks a backend.

Two backends implement :class:`RegistryStore` and pass the same tests: SQLite (the
default, a file next to the gateway) and PostgreSQL (shared by several gateway replicas).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.errors import BadRequest, RegistryError
from gateway.registry.listing import ListingKey
from gateway.registry.model import RegisteredProduct
from gateway.registry.search_index import Found, Place, Term
from gateway.registry.snapshot import Stamp

ACCEPTED_URLS = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, sqlite://:memory: "
    "or postgresql://user:password@host:port/database"
)


class RegistryStore(Protocol):
    """Where registered products are kept. Every method may raise ``RegistryError``."""

    async def upsert(
        self, product: RegisteredProduct, *, places: Sequence[Place] | None = None
    ) -> RegisteredProduct:
        """Insert ``product`` or replace the one with its id, keeping its ``registered_at``.

        Its search places are replaced in the same transaction by ``places`` (default: the
        places of its summary alone, :func:`~gateway.registry.search_index.places_of`).
        Raises ``RegistryError`` if another product id already holds ``domain.slug``.
        Returns the product as stored.
        """
        ...

    async def search(self, wanted: builtins.list[Term], limit: int) -> builtins.list[Found]:
        """The ``limit`` products with the highest scores for ``wanted`` (each term adds the
        weight of each indexed place it matches), then by ``domain.slug``; a score of 0 is
        no hit. See :mod:`gateway.registry.search_index`."""
        ...

    async def get(self, id_or_key: str) -> RegisteredProduct | None:
        """The product whose ODPS id or ``domain.slug`` key is ``id_or_key``, or None."""
        ...

    async def remove(self, id: str) -> bool:
        """Forget the product with ODPS id ``id``; False if there was none."""
        ...

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
        """Products matching every given filter, ordered by domain then name.

        ``domain`` is exact; ``tag`` matches one tag, ignoring case; ``text`` is a
        case-insensitive substring of the name, description, tags or slug. ``after``
        starts the list after that place (:mod:`gateway.registry.listing`), found through
        the listing index, before ``offset`` is skipped.
        """
        ...

    async def count(
        self, *, domain: str | None = None, tag: str | None = None, text: str | None = None
    ) -> int:
        """How many products :meth:`list` would return without ``limit`` / ``offset``."""
        ...

    async def domains(self) -> builtins.list[tuple[str, int]]:
        """Each domain with its number of products, ordered by domain."""
        ...

    async def stamp(self) -> Stamp:
        """How many products there are and the latest ``updated_at`` (ISO text, "" when
        empty): it moves with every register, refresh and unregister
        (:mod:`gateway.registry.snapshot`)."""
        ...

    async def contract_snapshots(self, product_id: str) -> dict[tuple[str, str], str]:
        """The contract documents (JSON text) kept of the product, by (contract id, version)."""
        ...

    async def save_contract_versions(
        self, product_id: str, snapshots: Mapping[tuple[str, str], str], flags: str
    ) -> None:
        """Replace the product's kept contract documents and its version flags (JSON text);
        nothing when the product is not registered (unregistered meanwhile)."""
        ...

    async def version_flags(self, product_id: str) -> str | None:
        """The product's version flags as saved (JSON text), None if never saved."""
        ...

    async def close(self) -> None:
        """Release the connection; the data stays."""
        ...


@dataclass(frozen=True)
class RegistryLocation:
    """Where a registry lives, parsed from ``MESHGATE_REGISTRY_URL``."""

    backend: str  # "sqlite" | "postgresql"
    target: str  # a file path or ":memory:" for SQLite, the DSN for PostgreSQL


def parse_registry_url(url: str) -> RegistryLocation:
    """Split a registry URL into its backend and target.

    >>> parse_registry_url("sqlite:///.run/registry.db")
    RegistryLocation(backend='sqlite', target='.run/registry.db')
    >>> parse_registry_url("sqlite:////var/lib/meshgate.db").target
    '/var/lib/meshgate.db'
    >>> parse_registry_url("postgresql://mesh@127.0.0.1:55432/registry").backend
    'postgresql'
    """
    if url in ("sqlite://:memory:", "sqlite:///:memory:"):
        return RegistryLocation("sqlite", ":memory:")
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        # sqlite:///rel -> "rel"; sqlite:////abs -> "/abs" (the fourth slash is the root).
        return RegistryLocation("sqlite", url[len("sqlite:///") :])
    if url.startswith(("postgresql://", "postgres://")):
        return RegistryLocation("postgresql", url)
    raise BadRequest(
        f"MESHGATE_REGISTRY_URL={url!r} is not a registry URL; expected {ACCEPTED_URLS}",
        setting="MESHGATE_REGISTRY_URL",
    )


async def open_registry(url: str, *, pool_size: int = 4) -> RegistryStore:
    """Open (creating if needed) the registry at ``url``; see :data:`ACCEPTED_URLS`.
    On PostgreSQL, calls share a pool of at most ``pool_size`` connections."""
    location = parse_registry_url(url)
    # Imported here so that a SQLite-only gateway never loads the PostgreSQL driver.
    if location.backend == "sqlite":
        from gateway.registry.sqlite import SqliteRegistryStore

        return await SqliteRegistryStore.open(location.target)
    from gateway.registry.postgres import PostgresRegistryStore

    return await PostgresRegistryStore.open(location.target, pool_size=pool_size)


def check_page(limit: int | None, offset: int) -> None:
    """Refuse a negative ``limit`` or ``offset`` with a message naming the value."""
    if limit is not None and limit < 0:
        raise BadRequest(f"limit must be 0 or more, got {limit}")
    if offset < 0:
        raise BadRequest(f"offset must be 0 or more, got {offset}")


def key_taken(product: RegisteredProduct, holder_id: str) -> RegistryError:
    """The error for registering ``product`` under a ``domain.slug`` another id holds."""
    return RegistryError(
        f"{product.key} is already registered by product {holder_id}; product {product.id} "
        "cannot take the same domain and slug (unregister the other one or change the slug)",
        product_id=product.id,
        key=product.key,
    )
