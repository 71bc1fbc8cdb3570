"""The storage interface of certifications, its paging cursor, and :func:`open_certification_store`.

Certifications live in the registry's database (``MESHGATE_REGISTRY_URL``), in a table of
their own with its own schema version (``certification_schema``). Every evaluation is a
new row: the latest is the product's certification, the others its history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from gateway import time_cursors
from gateway.certification.model import Certification, PolicyResult
from gateway.errors import GatewayError
from gateway.registry.store import parse_registry_url

MAX_PAGE = 100
_PREFIX = "cert:"

COLUMNS = ("id", "product_id", "checked_at", "status", "level", "product_status", "report")


class CertificationError(GatewayError):
    """The certification store cannot be opened, read or written."""

    code = "CERTIFICATION_STORE_ERROR"


@dataclass(frozen=True)
class CertificationPage:
    items: tuple[Certification, ...]
    has_next: bool
    end_cursor: str | None


class CertificationStore(Protocol):
    async def record(self, certification: Certification) -> int:
        """Append one evaluation; its id."""
        ...

    async def history(
        self, product_id: str, *, first: int = 20, after: str | None = None
    ) -> CertificationPage:
        """The product's evaluations, newest first."""
        ...

    async def purge(self, older_than: datetime) -> int:
        """Delete evaluations before ``older_than``; how many went."""
        ...

    async def close(self) -> None: ...


async def open_certification_store(url: str, *, pool_size: int = 4) -> CertificationStore:
    """The store in the database at registry URL ``url``, its table migrated."""
    location = parse_registry_url(url)
    if location.backend == "sqlite":
        from gateway.certification.sqlite import SqliteCertificationStore

        return await SqliteCertificationStore.open(location.target)
    from gateway.certification.postgres import PostgresCertificationStore

    return await PostgresCertificationStore.open(location.target, pool_size=pool_size)


def check_page(first: int) -> None:
    """Refuse a page size outside 1..:data:`MAX_PAGE`."""
    time_cursors.check_page(first, MAX_PAGE)


def encode_cursor(c: Certification) -> str:
    return time_cursors.encode(_PREFIX, c.checked_at, c.id)


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """
    >>> from datetime import UTC
    >>> c = Certification("p", datetime(2026, 1, 1, tzinfo=UTC), "OK", None, (), id=3)
    >>> decode_cursor(encode_cursor(c))[1]
    3
    """
    return time_cursors.decode(_PREFIX, cursor)


def values(c: Certification, checked_at: Any) -> tuple[Any, ...]:
    """The row of ``c`` without its id, in :data:`COLUMNS` order."""
    report = json.dumps([r.as_json() for r in c.report])
    return (c.product_id, checked_at, c.status, c.level, c.product_status, report)


def of_row(row: Any, checked_at: datetime) -> Certification:
    report = row[6] if isinstance(row[6], list) else json.loads(row[6])
    return Certification(
        product_id=row[1], checked_at=checked_at, status=row[3], level=row[4],
        product_status=row[5], report=tuple(PolicyResult.from_json(r) for r in report),
        id=int(row[0]),
    )  # fmt: skip


def history_sql(p: str, *, after: bool) -> str:
    """A page of a product's rows. Parameters: product id[, at, at, id], limit."""
    where = f"product_id = {p}"
    if after:
        where += f" AND (checked_at < {p} OR (checked_at = {p} AND id < {p}))"
    return (
        f"SELECT {', '.join(COLUMNS)} FROM certifications WHERE {where} "
        f"ORDER BY checked_at DESC, id DESC LIMIT {p}"
    )


def page_args(product_id: str, cut: tuple[Any, int] | None, limit: int) -> list[Any]:
    args: list[Any] = [product_id]
    if cut is not None:
        args.extend([cut[0], cut[0], cut[1]])
    args.append(limit)
    return args


def page_of(items: list[Certification], first: int) -> CertificationPage:
    shown = tuple(items[:first])
    return CertificationPage(shown, len(items) > first, encode_cursor(shown[-1]) if shown else None)
