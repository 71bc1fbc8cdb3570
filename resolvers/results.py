"""A product's observability results, read from the product (the source of truth).

The product is asked with the filters it supports (``since``, ``rule``); the gateway
applies them again (a product may ignore them) and keeps at most
``health_max_results`` results, so a product answering 100,000 costs a bounded list.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from gateway.health.gather import link
from gateway.health.sla import moment
from resolvers import documents
from resolvers.odps import LIST_TRUNCATED

if TYPE_CHECKING:
    from gateway.registry import RegisteredProduct
    from resolvers.context import RequestContext


def with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` added to its query string.

    >>> with_query("http://h/observe/results?a=1", {"rule": "rowCount"})
    'http://h/observe/results?a=1&rule=rowCount'
    """
    if not params:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


def keep(result: Any, since: datetime | None, rule: str | None) -> bool:
    """Whether one result answers the filters (a result that is not an object never does)."""
    if not isinstance(result, Mapping):
        return False
    if rule is not None and str(result.get("property", "")).lower() != rule.lower():
        return False
    if since is not None:
        stamp = moment(result.get("timestamp"))
        return stamp is not None and stamp >= since
    return True


async def product_results(
    ctx: RequestContext,
    product: RegisteredProduct,
    since: datetime | None,
    rule: str | None,
) -> list[Mapping[str, Any]]:
    """The product's results matching ``since`` and ``rule``, newest first, bounded."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    params = {}
    if since is not None:
        params["since"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if rule is not None:
        params["rule"] = rule
    meta = await documents.metadata(ctx, product)
    url = with_query(link(meta.data, product, "results", "/observe/results"), params)
    doc = await documents.fetch(ctx, url, product, what="results")
    items = doc.data.get("results") if isinstance(doc.data, Mapping) else None
    limit: int = ctx.services.settings.health_max_results
    found = [r for r in (items if isinstance(items, list) else [])[:limit] if keep(r, since, rule)]
    if isinstance(items, list) and len(items) > limit:
        ctx.warn(f"results: the product sent {len(items)}; the first {limit} are read",
                 code=LIST_TRUNCATED, product_id=product.id)  # fmt: skip
    found.sort(key=lambda r: str(r.get("timestamp", "")), reverse=True)
    return found
