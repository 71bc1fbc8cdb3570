"""What the registry keeps about a product: links and a short summary, never contracts.

The registry is the mesh's phone book. Details (contracts, health, lineage) are fetched
live from the product's gateway when needed, so the summary holds only what search and
listing need, plus the links to follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The links of a product's metadata that the gateway reads documents from.
FOLLOWED_LINKS = ("artifacts", "health", "results")


@dataclass(frozen=True)
class ContractRef:
    """A reference to one contract version (an ODPS ``in`` / ``out`` port)."""

    id: str
    version: str


@dataclass(frozen=True)
class ContractLink:
    """Where one of the product's own (output) contracts is served; never its content."""

    id: str
    version: str
    name: str
    href: str


@dataclass(frozen=True)
class VersionSummary:
    """One product version and the contracts it consumes (inputs) and publishes (outputs)."""

    version: str
    inputs: tuple[ContractRef, ...]
    outputs: tuple[ContractRef, ...]


@dataclass(frozen=True)
class RegisteredProduct:
    """The summary of one registered product.

    ``url`` is the product's ``/discover/metadata`` URL (what the registry re-fetches);
    ``base_url`` is the same URL without ``/discover/metadata``. Times are aware, in UTC.

    ``links`` are the metadata's links the gateway follows (:data:`FOLLOWED_LINKS`, by
    name, resolved against ``url``) as the product gave them at its last registration or
    refresh, so a health or artifacts document is read without asking for the metadata
    first. They are third-party input: each is followed only under ``base_url``. None
    when not known (a product stored before the registry kept them): read the metadata.
    """

    id: str
    slug: str
    domain: str
    name: str
    description: str
    owner_name: str | None
    owner_email: str | None
    tags: tuple[str, ...]
    status: str | None
    url: str
    base_url: str
    versions: tuple[VersionSummary, ...]
    contracts: tuple[ContractLink, ...]
    registered_at: datetime
    updated_at: datetime
    links: tuple[tuple[str, str], ...] | None = None

    def link(self, name: str) -> str | None:
        """The stored link called ``name``, or None (see ``links``).

        >>> from datetime import UTC, datetime
        >>> now = datetime(2026, 1, 1, tzinfo=UTC)
        >>> p = RegisteredProduct("p1", "s", "d", "n", "", None, None, (), None,
        ...     "http://h/discover/metadata", "http://h", (), (), now, now,
        ...     links=(("health", "http://h/observe/health"),))
        >>> p.link("health"), p.link("results")
        ('http://h/observe/health', None)
        """
        if name not in FOLLOWED_LINKS:
            raise ValueError(f"the registry keeps no link called {name!r}")
        return dict(self.links or ()).get(name)

    @property
    def key(self) -> str:
        """The product's readable address in the mesh, ``domain.slug``.

        >>> from datetime import UTC, datetime
        >>> now = datetime(2026, 1, 1, tzinfo=UTC)
        >>> RegisteredProduct("p1", "us-precipitation", "precipitation", "US precipitation",
        ...     "", None, None, (), "active", "http://h/discover/metadata", "http://h",
        ...     (), (), now, now).key
        'precipitation.us-precipitation'
        """
        return f"{self.domain}.{self.slug}"
