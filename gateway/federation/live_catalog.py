"""The SQL catalog as state: kept current by registry events and contract expiry, not
rebuilt for each query.

A query reads the state as it is (:meth:`LiveCatalog.current`), without waiting on the
network, unless there is no state yet or the registry changed since (then it waits for
the refresh that covers the change, which is bounded by the deadline). Once the state is
older than the contracts' fresh time, the next query starts a refresh in the background
and is served the current state.

A refresh reads the registry, then every output contract of every product at once, and
waits at most ``deadline_s``; a refresh for registry events alone reads only the products
they name and keeps the others as last read (a registration in a mesh of 10,000 products
reads one product's contracts, not 13,000). A product that misses the deadline, fails, or
is only served from a stale cached copy is *down* for that refresh. A down product keeps
its tables described by its last known contract (so the catalog's signature, hence the
DuckDB engine, does not change because a product flaps), and a query naming one of its
tables, or any table under its ``domain.product`` when no contract of it was ever read, is
refused with ``PRODUCT_UNAVAILABLE`` naming the product (:class:`CatalogView.get`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.errors import GatewayError, ProductUnavailable
from gateway.federation.catalog import (
    CatalogTable,
    Entry,
    Memo,
    StaticCatalog,
    UnavailableTable,
    build_catalog,
)
from gateway.federation.reach import Reach
from gateway.registry import RegisteredProduct, Registry
from gateway.upstream import UpstreamFetcher

log = logging.getLogger(__name__)

Signature = tuple[Any, ...]

READS_AT_ONCE = 32
"""Products whose contracts a refresh reads at the same time. Unbounded, a full read of
10,000 products queued 13,000 requests in the HTTP client's pool, whose every step walks
its whole queue: the gateway spent minutes of CPU there (docs/benchmarks.md)."""


@dataclass(frozen=True)
class DownProduct:
    """A registered product whose contracts could not be read at the last refresh."""

    product_id: str
    key: str  # domain.slug
    reason: str  # safe for a caller: no URL, host or path
    held: bool  # whether a last known contract still describes its tables


class CatalogView:
    """One state of the catalog, as the planner sees it (a :class:`Catalog`).

    ``generation`` changes exactly when the tables do (the DuckDB engine follows it);
    the products that are down may change from one view to the next without it.

    >>> view = CatalogView(StaticCatalog([]), 1, {"d.p": DownProduct("x", "d.p", "off", False)})
    >>> try:
    ...     view.get("d.p.t")
    ... except ProductUnavailable as exc:
    ...     print(exc.code, exc.product_id)
    PRODUCT_UNAVAILABLE x
    >>> view.get("other.p.t") is None
    True
    """

    def __init__(
        self, catalog: StaticCatalog, generation: int, down: Mapping[str, DownProduct]
    ) -> None:
        self.catalog = catalog
        self.generation = generation
        self.down = dict(down)  # lower-case domain.slug -> product

    def tables(self) -> Sequence[CatalogTable]:
        return self.catalog.tables()

    def get(self, logical: str) -> CatalogTable | None:
        """The table named ``logical``; raises ``PRODUCT_UNAVAILABLE`` for a table of a
        product that is down (whether or not a contract of it is held)."""
        name = logical.partition("@")[0].lower()
        product = self.down.get(name.rpartition(".")[0])
        if product is not None:
            raise ProductUnavailable(
                f"product {product.key} is unavailable: {product.reason}; its tables answer "
                "again once it is back",
                product_id=product.product_id,
                product=product.key,
                table=name,
            )
        return self.catalog.get(logical)

    @property
    def unavailable(self) -> list[UnavailableTable]:
        return self.catalog.unavailable

    def names(self) -> list[str]:
        return self.catalog.names()


@dataclass
class _Read:
    """What one product's refresh found: contracts read fresh, or why it is down."""

    hrefs: list[str]  # the product's output contracts
    entries: list[tuple[str, Entry]]  # (contract href, entry) read fresh
    stale: list[tuple[str, Entry]]  # served from a stale cached copy
    failure: str | None = None


class LiveCatalog:
    """The catalog of ``registry``'s products, their contracts read through ``fetcher``."""

    def __init__(
        self,
        registry: Registry,
        fetcher: UpstreamFetcher,
        *,
        reach: Reach,
        deadline_s: float,
        fresh_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._fetcher = fetcher
        self._reach = reach
        self._deadline_s = deadline_s
        self._fresh_s = fresh_s
        self._clock = clock
        self._view: CatalogView | None = None
        self._signature: Signature | None = None
        self._refreshed_at = 0.0
        self._seen: dict[tuple[str, str], Entry] = {}  # (product, href) -> last read
        self._memo: Memo = {}  # each product's tables as last built
        # Each product as last read: (product, output contract links, why down or None).
        self._held: dict[str, tuple[RegisteredProduct, list[str], str | None]] = {}
        self._pending: set[str | None] = set()  # products named by events not yet read
        self._reads_at_once = asyncio.Semaphore(READS_AT_ONCE)
        self._changes = 0  # registry events received
        self._applied = -1  # registry events the state covers
        self._task: asyncio.Task[None] | None = None
        self._late: set[asyncio.Task[_Read]] = set()  # reads past a deadline, left to end
        self.refreshes = 0

    def changed(self, product_id: str | None = None) -> None:
        """A registry event: the next query waits for a refresh that covers it, which
        reads that product again (``None``: every product) and keeps the others."""
        self._changes += 1
        self._pending.add(product_id)
        # Without a running loop (a synchronous caller) the next query refreshes.
        with contextlib.suppress(RuntimeError):
            self._start()

    async def current(self) -> CatalogView:
        """The catalog now: no network wait when the state is fresh (see module doc)."""
        target = self._changes
        while self._view is None or self._applied < target:
            task = self._start()
            await asyncio.shield(task)  # a failed refresh raises its error here
        if self._clock() - self._refreshed_at >= self._fresh_s:
            self._start()  # in the background: this query is served the state it finds
        return self._view

    def _start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._refresh())
            self._task.add_done_callback(_log_failure)
        return self._task

    async def close(self) -> None:
        """Stop the refresh and the reads still running."""
        tasks = [t for t in (self._task, *self._late) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _refresh(self) -> None:
        covered = self._changes
        changed, self._pending = self._pending, set()
        self.refreshes += 1
        try:
            await self._read_changed(changed)
        except BaseException:
            self._pending |= changed  # the next refresh covers them again
            raise
        entries: list[Entry] = []
        registered: dict[str, datetime] = {}
        down: dict[str, DownProduct] = {}
        known: set[tuple[str, str]] = set()
        for product, hrefs, failure in self._held.values():
            registered[product.id] = product.registered_at
            keys = [(product.id, href) for href in hrefs]
            held = [self._seen[k] for k in keys if k in self._seen]
            known.update(keys)
            entries.extend(held)
            if failure is not None:
                down[product.key.lower()] = DownProduct(
                    product.id, product.key, failure, bool(held)
                )
        self._seen = {k: v for k, v in self._seen.items() if k in known}
        await self._install(entries, registered, down)
        self._applied = max(self._applied, covered)

    async def _read_changed(self, changed: set[str | None]) -> None:
        """Read every product when the state is new or due (or an event named none),
        else only the products ``changed`` names, keeping every other as held."""
        whole = self._view is None or self._clock() - self._refreshed_at >= self._fresh_s
        if whole or None in changed:
            products = list((await self._registry.snapshot()).products)
            self._held = {}
        else:
            found = await asyncio.gather(*(self._registry.get(pid) for pid in changed if pid))
            products = [p for p in found if p is not None]
            for gone in {pid for pid in changed if pid} - {p.id for p in products}:
                self._held.pop(gone, None)
        await self._read_all(products)

    async def _read_all(self, products: Sequence[RegisteredProduct]) -> None:
        """Read the contracts of ``products`` (at most ``deadline_s``) into the state."""
        hrefs = {p.id: _outputs(p) for p in products}
        reads = {p.id: asyncio.ensure_future(self._read(p, hrefs[p.id])) for p in products}
        if reads:
            await asyncio.wait(reads.values(), timeout=self._deadline_s)
        for product in products:
            task = reads[product.id]
            if task.done():
                read = task.result()
            else:  # left to end in the background: its answer lands in the fetcher's cache
                self._late.add(task)
                task.add_done_callback(self._late_done)
                late = f"it did not answer within {self._deadline_s:g}s"
                read = _Read(hrefs[product.id], [], [], late)
            for href, entry in (*read.entries, *read.stale):
                self._seen[(product.id, href)] = entry
            failure = read.failure
            if failure is None and read.stale:
                failure = "it does not answer (a cached copy of its contract)"
            if failure is not None:
                log.warning("SQL catalog: %s is unavailable: %s", product.key, failure)
            self._held[product.id] = (product, read.hrefs, failure)

    async def _install(
        self, entries: list[Entry], registered: dict[str, datetime], down: dict[str, DownProduct]
    ) -> None:
        signature = tuple(
            sorted(
                (e[0], str(e[3].get("id")), str(e[3].get("version")), registered[e[0]])
                for e in entries
            )
        )
        if self._view is None or signature != self._signature:
            # Off the event loop (thousands of products take seconds of CPU), rebuilding only
            # the products whose contracts changed (the memo; one refresh runs at a time).
            catalog = await asyncio.to_thread(
                build_catalog, entries, reach=self._reach, registered=registered, memo=self._memo
            )
            generation = 1 if self._view is None else self._view.generation + 1
            self._signature = signature
        else:  # same tables: same catalog and engine, only who is down may differ
            catalog, generation = self._view.catalog, self._view.generation
        self._view = CatalogView(catalog, generation, down)
        self._refreshed_at = self._clock()

    def _late_done(self, task: asyncio.Task[_Read]) -> None:
        self._late.discard(task)
        if not task.cancelled():
            task.exception()  # read, so asyncio does not report it as lost
            self._refreshed_at = float("-inf")  # the next query refreshes (background)

    async def _read(self, product: RegisteredProduct, hrefs: list[str]) -> _Read:
        read = _Read(hrefs, [], [])
        async with self._reads_at_once:
            fetched = await asyncio.gather(
                *(self._fetcher.get_json(href, product_id=product.id) for href in hrefs),
                return_exceptions=True,
            )
        for href, doc in zip(hrefs, fetched, strict=True):
            if isinstance(doc, GatewayError):
                read.failure = read.failure or doc.message
                continue
            if isinstance(doc, Exception):  # a bug below: this product only is down
                log.error("reading a contract of %s failed", product.key, exc_info=doc)
                read.failure = read.failure or "its contract could not be read"
                continue
            if isinstance(doc, BaseException):
                raise doc
            if not isinstance(doc.data, dict):
                read.failure = read.failure or "its contract is not a JSON object"
                continue
            entry: Entry = (product.id, product.domain, product.slug, doc.data)
            (read.stale if doc.stale else read.entries).append((href, entry))
        return read


def _outputs(product: RegisteredProduct) -> list[str]:
    """The links of the product's output contracts (only those make tables)."""
    outputs = {(r.id, r.version) for v in product.versions for r in v.outputs}
    return [link.href for link in product.contracts if (link.id, link.version) in outputs]


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("refreshing the SQL catalog failed", exc_info=task.exception())
