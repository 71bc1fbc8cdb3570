"""The registry service: register, refresh and unregister products; look them up.

Registering is a live check, not a form: the product's discovery endpoint must answer,
its descriptor must be valid and each contract it publishes must be served where its
metadata says. Only then is the link and summary stored.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from contracts import DocumentInvalid, ProductDescriptor, parse_descriptor
from gateway.errors import (
    ContractNotFound,
    Forbidden,
    InvalidDescriptor,
    ProductNotFound,
    RegistryError,
    UpstreamBadResponse,
)
from gateway.hub import Hub
from gateway.identity import OWNER_PREFIX, Principal
from gateway.registry.audited import ChangeAuditor, audited
from gateway.registry.listing import ListingKey
from gateway.registry.model import ContractLink, RegisteredProduct
from gateway.registry.search_index import Found, Place, places_of, served_contracts, terms
from gateway.registry.snapshot import Snapshot
from gateway.registry.store import RegistryStore
from gateway.registry.summary import contract_links, summarise
from gateway.registry.urls import normalise_product_url
from gateway.registry.versions import (
    ContractsChanged,
    VersionFlag,
    flags_of,
    flags_text,
    kept_versions,
    snapshot_text,
    version_flags,
)
from gateway.upstream.links import require_under_base
from gateway.upstream.read import DEFAULT_TOTAL_TIMEOUT, NoDocument, fetch_json

log = logging.getLogger(__name__)

# Metadata of a product is a page of JSON; anything far larger is a mistake or an attack.
DEFAULT_MAX_ANSWER_BYTES = 1_048_576
# Contracts are read to check their id and version; big schemas stay well below this.
DEFAULT_MAX_CONTRACT_BYTES = 8_388_608
# The contract documents a product serves, by (contract id, version), as read.
_Served = dict[tuple[str, str], object]


class Registry:
    """Register products by URL and look them up; see :class:`RegistryStore` for storage."""

    def __init__(
        self,
        store: RegistryStore,
        http: httpx.AsyncClient,
        *,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        max_contract_bytes: int = DEFAULT_MAX_CONTRACT_BYTES,
        total_timeout: float = DEFAULT_TOTAL_TIMEOUT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        auditor: ChangeAuditor | None = None,
    ) -> None:
        """``http`` is the app's pooled client (it decides which addresses may be called:
        see :func:`gateway.upstream.create_http_client`); ``total_timeout`` bounds each
        fetch, connection to last byte. ``auditor`` gets every register, refresh and
        unregister, whatever its outcome."""
        self.store = store
        self.auditor = auditor
        self._http = http
        self._max_answer_bytes = max_answer_bytes
        self._max_contract_bytes = max_contract_bytes
        self._total_timeout = total_timeout
        self._clock = clock
        self._listeners: builtins.list[Callable[[str], None]] = []
        self.generation = 0
        """Changes made so far (register, refresh, unregister): an answer built from the
        registry is outdated as soon as it moves (``gateway.result_cache``)."""
        self._snapshot: Snapshot | None = None
        self._reading: asyncio.Lock | None = None  # one read of the whole registry at a time
        self.contract_changes: Hub[ContractsChanged] = Hub()
        """Each registration or refresh that brings contract versions not seen before."""

    def subscribe(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(product_id)`` after each change this registry makes (register,
        refresh, unregister), so state kept from it (the SQL catalog) follows at once.
        A listener must not block; one that raises is logged and the change stands."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[str], None]) -> None:
        """Stop calling ``listener`` (one that was never subscribed is ignored)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _changed(self, product: RegisteredProduct) -> RegisteredProduct:
        self.generation += 1
        self._snapshot = None
        for listener in self._listeners:
            try:
                listener(product.id)
            except Exception:  # a listener's bug must not undo or fail the change
                log.exception("a registry listener failed")
        return product

    @audited("registry.register")
    async def register(self, url: str, *, actor: Principal | None = None) -> RegisteredProduct:
        """Register (or update) the product whose gateway is at ``url``.

        ``url`` is the product's base URL or its ``/discover/metadata`` URL. Raises
        ``BadRequest`` (not an http(s) URL), ``UpstreamAddressRefused`` (an address the
        operator did not allow), ``UpstreamUnavailable`` / ``UpstreamTimeout`` /
        ``UpstreamBadResponse`` (the product does not answer well), ``InvalidDescriptor``,
        ``UpstreamLinkRefused`` (a contract link outside the product's base URL),
        ``ContractNotFound`` (an output contract is not served), ``RegistryError``
        (its ``domain.slug`` belongs to another product) or ``Forbidden``.

        ``actor`` must own the product's domain (``owner:<domain>``) or be an admin, and
        for an update also the domain it was registered in. ``None`` is the gateway itself
        (tests, tooling): the HTTP and GraphQL doors always pass the caller.
        """
        if actor is not None and not (actor.is_admin or _owns_some_domain(actor)):
            # Refused before the product is even fetched.
            raise Forbidden(
                "registering a product needs the role owner:<domain> of its domain, or admin",
                role=f"{OWNER_PREFIX}<domain>",
            )
        product, served = await self._inspect(url, product_id=None)
        if actor is not None:
            _require_owner(actor, product, "registering")
            existing = await self.store.get(product.id)
            if existing is not None and existing.domain != product.domain:
                _require_owner(actor, existing, "moving")
        stored = await self.store.upsert(product, places=_places(product, served))
        await self._record_versions(stored.id, served)
        return self._changed(stored)

    @audited("registry.refresh")
    async def refresh(self, id_or_key: str, *, actor: Principal | None = None) -> RegisteredProduct:
        """Fetch a registered product's metadata again from its stored URL and update it."""
        stored = await self.require(id_or_key)
        if actor is not None:
            _require_owner(actor, stored, "refreshing")
        fresh, served = await self._inspect(stored.url, product_id=stored.id)
        if actor is not None:
            _require_owner(actor, fresh, "refreshing")
        if fresh.id != stored.id:
            raise RegistryError(
                f"the registered URL of {stored.key} now serves product {fresh.id}, not "
                f"{stored.id}; unregister {stored.key} and register the new product instead",
                product_id=stored.id,
            )
        kept = await self.store.upsert(fresh, places=_places(fresh, served))
        await self._record_versions(kept.id, served)
        return self._changed(kept)

    @audited("registry.unregister")
    async def unregister(
        self, id_or_key: str, *, actor: Principal | None = None
    ) -> RegisteredProduct:
        """Forget a product; returns what was stored. Raises ``ProductNotFound``, ``Forbidden``."""
        stored = await self.require(id_or_key)
        if actor is not None:
            _require_owner(actor, stored, "unregistering")
        if not await self.store.remove(stored.id):
            raise _not_found(id_or_key)  # removed by someone else meanwhile
        return self._changed(stored)

    async def get(self, id_or_key: str) -> RegisteredProduct | None:
        """The product with this ODPS id or ``domain.slug``, or None."""
        return await self.store.get(id_or_key)

    async def require(self, id_or_key: str) -> RegisteredProduct:
        """Like :meth:`get` but raises ``ProductNotFound`` instead of returning None."""
        product = await self.store.get(id_or_key)
        if product is None:
            raise _not_found(id_or_key)
        return product

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
        """Registered products matching the filters; see :meth:`RegistryStore.list`."""
        return await self.store.list(
            domain=domain, tag=tag, text=text, limit=limit, offset=offset, after=after
        )

    async def snapshot(self) -> Snapshot:
        """Every registered product, read again only when the registry's stamp moved
        (:mod:`gateway.registry.snapshot`): for the questions that need them all."""
        stamp = await self.store.stamp()
        held = self._snapshot
        if held is not None and held.stamp == stamp:
            return held
        if self._reading is None:
            self._reading = asyncio.Lock()
        async with self._reading:  # callers arriving together share one read
            held = self._snapshot
            if held is not None and held.stamp == stamp:
                return held
            # Stamp first: a change landing between the two reads moves the stamp again,
            # so the next call reads once more rather than keep a stale list.
            fresh = Snapshot(stamp, tuple(await self.store.list()))
            self._snapshot = fresh
            return fresh

    async def search(self, text: str, *, limit: int) -> builtins.list[Found]:
        """Products ranked by how well ``text`` matches them, best first, through the
        registry's search index (:mod:`gateway.registry.search_index`). Raises
        ``BadRequest`` for a text without words or with too many."""
        return await self.store.search(terms(text), limit)

    async def count(
        self, *, domain: str | None = None, tag: str | None = None, text: str | None = None
    ) -> int:
        """How many products match the filters."""
        return await self.store.count(domain=domain, tag=tag, text=text)

    async def domains(self) -> builtins.list[tuple[str, int]]:
        """Each domain with its number of products."""
        return await self.store.domains()

    async def version_flags(self, product_id: str) -> builtins.list[VersionFlag]:
        """The product's contract versions that break their predecessor without saying so."""
        return flags_of(await self.store.version_flags(product_id))

    async def _record_versions(self, product_id: str, served: _Served) -> None:
        """Keep the contract versions just served and judge each against the one before
        (:mod:`gateway.registry.versions`). Never fails the registration: a failure here is
        logged and the flags stay as they were."""
        try:
            kept = await self.store.contract_snapshots(product_id)
            known: dict[tuple[str, str], Any] = {k: json.loads(t) for k, t in kept.items()}
            texts = dict(kept)
            for key, document in served.items():
                text = snapshot_text(document)
                if text is not None:  # compared as kept, so old and new read alike
                    known[key], texts[key] = json.loads(text), text
            known = kept_versions(known)
            flags = await asyncio.to_thread(version_flags, known)
            await self.store.save_contract_versions(
                product_id, {k: texts[k] for k in known}, flags_text(flags)
            )
            added = tuple(sorted(k for k in served if k not in kept))
            if added:
                self.contract_changes.publish(
                    ContractsChanged(
                        product_id,
                        added,
                        tuple(sorted(known)),
                        tuple(f for f in flags if (f.contract_id, f.to_version) in added),
                        self._clock(),
                    )  # fmt: skip
                )
        except Exception:
            log.exception("judging the contract versions of product %s failed", product_id)

    async def _inspect(
        self, url: str, *, product_id: str | None
    ) -> tuple[RegisteredProduct, _Served]:
        """Fetch, validate and summarise the product at ``url``, without storing it; with
        the contract documents it serves, by (id, version)."""
        urls = normalise_product_url(url)
        answer = await fetch_json(
            self._http,
            urls.metadata,
            what="product gateway",
            max_bytes=self._max_answer_bytes,
            product_id=product_id,
            deadline=self._total_timeout,
        )
        if not isinstance(answer, Mapping):
            raise UpstreamBadResponse(
                f"the product's metadata is JSON {type(answer).__name__}, expected an object "
                "with the product definition",
                product_id=product_id,
            )
        descriptor = _descriptor(answer, product_id)
        if answer.get("id", descriptor.id) != descriptor.id:
            raise InvalidDescriptor(
                f"the product's metadata says id {answer.get('id')!r} but its descriptor says "
                f"{descriptor.id!r}",
                product_id=descriptor.id,
            )
        links = contract_links(answer, descriptor, urls.metadata)
        for link in links:  # refused before anything is fetched
            require_under_base(
                link.href,
                urls.base,
                what=f"output contract {link.id} version {link.version}",
                product_id=descriptor.id,
            )
        served = await self._check_links(links, descriptor.id)
        return summarise(answer, descriptor, urls, links, self._clock()), served

    async def _check_links(self, links: builtins.list[ContractLink], product_id: str) -> _Served:
        """Each link must serve the contract it names; raise the first failure."""
        outcomes = await asyncio.gather(
            *(self._check_link(link, product_id) for link in links), return_exceptions=True
        )
        served: _Served = {}
        for link, outcome in zip(links, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                raise outcome
            served[(link.id, link.version)] = outcome
        return served

    async def _check_link(self, link: ContractLink, product_id: str) -> object:
        what = f"output contract {link.id} version {link.version}"
        try:
            document = await fetch_json(
                self._http,
                link.href,
                what=what,
                max_bytes=self._max_contract_bytes,
                product_id=product_id,
                deadline=self._total_timeout,
            )
        except NoDocument as exc:
            # The link is under the base URL whose metadata just answered: telling a
            # missing contract from other failures says nothing about other hosts.
            if exc.status == 404:
                raise ContractNotFound(
                    f"{what} is not served where the product's metadata links it (HTTP 404)",
                    product_id=product_id,
                ) from None
            raise
        served = (document.get("id"), document.get("version")) if isinstance(document, dict) else ()
        if served != (link.id, link.version):
            raise InvalidDescriptor(
                f"the product's link for {what} serves "
                + (f"contract {served[0]} version {served[1]}" if served else "no contract"),
                product_id=product_id,
            )
        return document


def _places(product: RegisteredProduct, served: _Served) -> builtins.list[Place]:
    """What the search index holds of ``product``: its summary and the contracts served."""
    return places_of(product, served_contracts(product, served))


def _descriptor(answer: Mapping[str, Any], product_id: str | None) -> ProductDescriptor:
    """The validated ``descriptor`` of a metadata answer."""
    if not isinstance(answer.get("descriptor"), Mapping):
        found = "no 'descriptor'" if "descriptor" not in answer else "a 'descriptor' that"
        raise InvalidDescriptor(
            f"the product's metadata has {found}"
            + (" is not an object" if "descriptor" in answer else "")
            + " (expected the product's ODPS descriptor as a JSON object)",
            product_id=product_id,
        )
    try:
        return parse_descriptor(answer["descriptor"], source="descriptor")
    except DocumentInvalid as exc:
        issues = "; ".join(
            f"{issue.path}: {issue.message}"
            + (f" (expected {issue.expected})" if issue.expected else "")
            for issue in exc.issues
        )
        raise InvalidDescriptor(
            f"the product's descriptor is invalid: {issues}",
            product_id=product_id,
            issues=[
                {"path": issue.path, "message": issue.message, "expected": issue.expected}
                for issue in exc.issues
            ],
        ) from None


def _owns_some_domain(actor: Principal) -> bool:
    return any(role.startswith(OWNER_PREFIX) for role in actor.roles)


def _require_owner(actor: Principal, product: RegisteredProduct, doing: str) -> None:
    """Only the owner of the product's domain, or an admin, changes it."""
    if not actor.owns_domain(product.domain):
        role = f"{OWNER_PREFIX}{product.domain}"
        raise Forbidden(
            f"{doing} {product.key} needs the role {role} (its domain's owner) or admin",
            product_id=product.id,
            role=role,
        )


def _not_found(id_or_key: str) -> ProductNotFound:
    return ProductNotFound(
        f"no registered product has the id or domain.slug {id_or_key!r}", product_id=None
    )
