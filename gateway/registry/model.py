"""What the registry keeps about a product: links and a short summary, never contracts.

The registry is the mesh's phone book. Details (contracts, health, lineage) are fetched
live from the product's gateway when needed, so the summary holds only what search and
listing need, plus the links to follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
