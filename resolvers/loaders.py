"""Per-request DataLoaders: each product document is fetched at most once per request,
and all of a request's fetches go out together."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader

from gateway.upstream import Fetched

if TYPE_CHECKING:
    from gateway.registry import RegisteredProduct
    from gateway.registry.snapshot import Snapshot
    from gateway.services import Services

# (url, product id): the product id names the product in errors.
DocumentKey = tuple[str, str | None]
ContractKey = tuple[str, str]  # (contract id, version)


class Loaders:
    def __init__(self, services: Services) -> None:
        self._services = services
        self.documents: DataLoader[DocumentKey, Fetched] = DataLoader(self._load_documents)
        self.products: DataLoader[str, RegisteredProduct | None] = DataLoader(self._load_products)
        self._snapshot: asyncio.Task[Snapshot] | None = None
        # Work done once per request whatever the number of fields that need it (the
        # parse of a product's live descriptor), keyed by what it is done on.
        self.memo: dict[Hashable, asyncio.Future[Any]] = {}
        # Every document this request read: a kept answer expires with the oldest.
        self.read: list[Fetched] = []
        # A cached document older than this is fetched again (None: the fresh TTL). A
        # background refresh of a kept answer asks for younger ones (schema/asgi.py).
        self.max_age: float | None = None

    async def _load_documents(self, keys: Sequence[DocumentKey]) -> list[Fetched | BaseException]:
        fetcher = self._services.fetcher
        results = await asyncio.gather(
            *(fetcher.get_json(url, product_id=pid, max_age=self.max_age) for url, pid in keys),
            return_exceptions=True,
        )
        self.read += [r for r in results if isinstance(r, Fetched)]
        return list(results)

    async def _load_products(self, keys: Sequence[str]) -> list[RegisteredProduct | None]:
        registry = self._services.registry
        return list(await asyncio.gather(*(registry.get(k) for k in keys)))

    async def snapshot(self) -> Snapshot:
        """Every registered product, one state of the registry for the whole request
        (read again only when the registry changed: :meth:`Registry.snapshot`)."""
        if self._snapshot is None:
            self._snapshot = asyncio.ensure_future(self._services.registry.snapshot())
        return await self._snapshot

    async def all_products(self) -> Sequence[RegisteredProduct]:
        """Every registered product (of :meth:`snapshot`)."""
        return (await self.snapshot()).products
