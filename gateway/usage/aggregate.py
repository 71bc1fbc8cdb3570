"""A product's usage figures in one window, gathered from the store."""

from __future__ import annotations

from datetime import datetime

from gateway.usage.model import ProductUsage
from gateway.usage.store import UsageStore, check_first


async def product_usage(
    store: UsageStore, product_id: str, *, since: datetime | None = None, recent: int = 10
) -> ProductUsage:
    """Totals, per-table and per-column counts and the ``recent`` latest queries of
    ``product_id`` since ``since`` (all time when None); each is one SQL statement.

    Only answered queries count in the totals and per-table figures; ``recent`` lists
    engine failures too, since they read (or tried to read) the product. Refused
    statements read nothing and appear only in :meth:`UsageStore.log`.
    """
    check_first(recent, "recent")
    # The backends serialize calls on one connection: asking in turn costs nothing more.
    totals = await store.totals(product_id, since=since)
    tables = await store.tables(product_id, since=since)
    latest = await store.recent(product_id, since=since, first=recent)
    return ProductUsage(
        product_id=product_id,
        since=since,
        totals=totals,
        tables=tuple(tables),
        recent=tuple(latest),
    )
