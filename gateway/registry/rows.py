"""Turn a :class:`RegisteredProduct` into table values and back, the same for every backend.

Tags, versions, contract links and the followed links are stored as JSON (text in SQLite, jsonb in
PostgreSQL). Three derived columns hold case-folded copies (Python's ``casefold``, not
each database's own idea of lower case) so that both backends filter and sort alike:
``search`` (what the ``text`` filter looks into), ``tag_keys`` (for the ``tag`` filter)
and ``sort_name`` (for the order of listings).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from gateway.registry.model import ContractLink, ContractRef, RegisteredProduct, VersionSummary
from gateway.values.moments import as_utc, given_utc

# Order of the columns in every SELECT / INSERT; both backends share it.
COLUMNS = (
    "id",
    "domain",
    "slug",
    "name",
    "description",
    "owner_name",
    "owner_email",
    "tags",
    "status",
    "url",
    "base_url",
    "versions",
    "contracts",
    "search",
    "tag_keys",
    "sort_name",
    "registered_at",
    "updated_at",
    "links",
)

# Joins the searchable fields so that a query never matches across two of them.
_FIELD_SEPARATOR = "\x1f"


def search_text(product: RegisteredProduct) -> str:
    """The case-folded text the ``text`` filter looks into: name, description, tags, slug."""
    parts = [product.name, product.description, product.slug, *product.tags]
    return _FIELD_SEPARATOR.join(part.casefold() for part in parts)


def fold(text: str) -> str:
    """The case-folded form in which a search text or a tag is compared."""
    return text.casefold()


def to_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; naive datetimes are refused because their zone is a guess
    (:mod:`gateway.values.moments`)."""
    return given_utc(moment, "registry times")


def to_values(product: RegisteredProduct) -> dict[str, Any]:
    """Column values for ``product``; JSON columns as text, times as aware UTC datetimes."""
    versions = [
        {
            "version": v.version,
            "in": [{"id": r.id, "version": r.version} for r in v.inputs],
            "out": [{"id": r.id, "version": r.version} for r in v.outputs],
        }
        for v in product.versions
    ]
    contracts = [
        {"id": c.id, "version": c.version, "name": c.name, "href": c.href}
        for c in product.contracts
    ]
    return {
        "id": product.id,
        "domain": product.domain,
        "slug": product.slug,
        "name": product.name,
        "description": product.description,
        "owner_name": product.owner_name,
        "owner_email": product.owner_email,
        "tags": json.dumps(list(product.tags)),
        "status": product.status,
        "url": product.url,
        "base_url": product.base_url,
        "versions": json.dumps(versions),
        "contracts": json.dumps(contracts),
        "search": search_text(product),
        "tag_keys": json.dumps([tag.casefold() for tag in product.tags]),
        "sort_name": product.name.casefold(),
        "registered_at": to_utc(product.registered_at),
        "updated_at": to_utc(product.updated_at),
        # NULL: not known (stored before the registry kept links), unlike {}: none given.
        "links": None if product.links is None else json.dumps(dict(product.links)),
    }


def from_row(row: Mapping[str, Any]) -> RegisteredProduct:
    """The product stored in ``row`` (a mapping of :data:`COLUMNS`)."""
    versions = tuple(
        VersionSummary(
            version=v["version"],
            inputs=tuple(ContractRef(r["id"], r["version"]) for r in v["in"]),
            outputs=tuple(ContractRef(r["id"], r["version"]) for r in v["out"]),
        )
        for v in _json(row["versions"])
    )
    contracts = tuple(
        ContractLink(c["id"], c["version"], c["name"], c["href"]) for c in _json(row["contracts"])
    )
    return RegisteredProduct(
        id=row["id"],
        slug=row["slug"],
        domain=row["domain"],
        name=row["name"],
        description=row["description"],
        owner_name=row["owner_name"],
        owner_email=row["owner_email"],
        tags=tuple(_json(row["tags"])),
        status=row["status"],
        url=row["url"],
        base_url=row["base_url"],
        versions=versions,
        contracts=contracts,
        registered_at=_time(row["registered_at"]),
        updated_at=_time(row["updated_at"]),
        links=None if row["links"] is None else tuple(sorted(_json(row["links"]).items())),
    )


def _json(value: Any) -> Any:
    # SQLite hands back the text; psycopg has already decoded jsonb.
    return json.loads(value) if isinstance(value, str) else value


def _time(value: Any) -> datetime:
    # SQLite stores ISO text; PostgreSQL's timestamptz comes back in the session's zone.
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return as_utc(moment)
