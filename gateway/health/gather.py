"""Read the evidence of one product: its health answer, its results, its contracts.

Every URL is the product's own (its links, else the standard paths; its contract links;
all as the registry stored them) and followed only under its registered base URL. The
reads go through an :class:`~gateway.upstream.UpstreamFetcher` (byte cap, deadline,
breaker); the monitor's fetcher keeps no stale copies, so a product that does not answer
now is judged on that, not on what it said earlier (docs/health.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

from gateway.errors import GatewayError
from gateway.health.judge import Evidence
from gateway.registry import RegisteredProduct
from gateway.upstream import UpstreamFetcher, require_under_base


async def read_json(
    fetcher: UpstreamFetcher, product: RegisteredProduct, url: str, what: str
) -> Any:
    """The JSON document at ``url`` (relative to the product's metadata URL)."""
    url = require_under_base(
        urljoin(product.url, url), product.base_url, what=what, product_id=product.id
    )
    return (await fetcher.get_json(url, product_id=product.id)).data


def link(meta: Any, product: RegisteredProduct, name: str, path: str) -> str:
    """The product's link called ``name`` (stored by the registry; when it has none
    stored, the metadata ``meta``'s), else the standard ``path``."""
    if product.links is not None:
        found = product.link(name)
    else:
        links = meta.get("links") if isinstance(meta, Mapping) else None
        found = links.get(name) if isinstance(links, Mapping) else None
    return found if isinstance(found, str) and found else product.base_url.rstrip("/") + path


async def evidence(
    fetcher: UpstreamFetcher, product: RegisteredProduct, *, max_results: int
) -> Evidence:
    """Everything :func:`~gateway.health.judge.judge` needs about ``product``."""
    try:
        known = product.links is not None  # else they are in the metadata
        meta = None if known else await read_json(fetcher, product, product.url, "metadata")
        health = await read_json(
            fetcher, product, link(meta, product, "health", "/observe/health"), "health document"
        )
    except GatewayError as exc:
        return Evidence(product.id, product.key, health=None, error=f"{exc.code}: {exc.message}")
    if not isinstance(health, Mapping):
        return Evidence(
            product.id, product.key, health=None, error="the health answer is not a JSON object"
        )
    results_url = link(meta, product, "results", "/observe/results")
    contracts = [read_json(fetcher, product, c.href, "contract") for c in product.contracts]
    found = await asyncio.gather(
        read_json(fetcher, product, results_url, "results"), *contracts, return_exceptions=True
    )
    for item in found:
        if isinstance(item, BaseException) and not isinstance(item, Exception):
            raise item  # cancellation goes up
    results, docs = found[0], found[1:]
    good = [
        d for d, c in zip(docs, product.contracts, strict=True)
        if isinstance(d, Mapping) and d.get("id") == c.id and d.get("version") == c.version
    ]  # fmt: skip
    items = results.get("results") if isinstance(results, Mapping) else None
    if isinstance(results, BaseException) or not isinstance(items, list):
        error = (
            f"{results.code}: {results.message}"
            if isinstance(results, GatewayError)
            else "the results answer is not a list of results"
        )
        return Evidence(
            product.id,
            product.key,
            health=health,
            results=None,
            results_error=error,
            contracts=good,
        )
    return Evidence(
        product.id,
        product.key,
        health=health,
        results=[r for r in items[:max_results] if isinstance(r, Mapping)],
        results_truncated=len(items) > max_results,
        contracts=good,
    )
