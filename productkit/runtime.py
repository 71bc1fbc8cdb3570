"""One served product: its folder, stores, state, counters and events, behind async calls.

The HTTP layer (``productkit.http.app``) only parses requests and renders what this
object answers. Store calls are blocking, so they run in a small thread pool; probe and
quality answers are cached briefly so a busy health endpoint costs the store little.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx

from contracts.folder import ProductFolder, load_product_folder
from gateway.errors import UpstreamAddressRefused
from gateway.net.transport import guarded_client
from productkit import answers, certify, state
from productkit.auth import check_bearer, resolve_token
from productkit.cache import TimedCache
from productkit.certwatch import CertificationWatch
from productkit.documents import Definition, artifacts, jsonable, metadata, warning_entries
from productkit.errors import (
    BadInput,
    NotFound,
    ProductPaused,
    ProductStopped,
    RegistryUnreachable,
    StoreUnavailable,
)
from productkit.events import (
    CERTIFICATION_PUBLISHED,
    CONFIGURED,
    STATE_CHANGED,
    EventBus,
)
from productkit.health import health_document, probe
from productkit.kitstate import KitState, StateFileError
from productkit.metrics import Metrics
from productkit.outbound import AddressRefused, Outbound, RegistryTimeout
from productkit.results import observe
from productkit.settings import KitSettings
from productkit.stores import StoreSet, TableStats, choose_server, open_stores
from productkit.subscribers import Subscribers
from productkit.tables import Table, tables_of
from productkit.timefmt import iso, utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
# The whole relay (connection, the registry's own checks, its answer) runs under this.
REGISTRATION_TIMEOUT_SECONDS = 10.0
# A registry's answer is a product summary; anything far larger is refused.
MAX_REGISTRY_ANSWER_BYTES = 1_048_576


def open_product(
    product_dir: Path,
    *,
    server: str | None = None,
    token: str | None = None,
    env: Mapping[str, str] | None = None,
    root: Path | None = None,
    probe_ttl: float = 5.0,
    results_ttl: float = 30.0,
    settings: KitSettings | None = None,
) -> ProductRuntime:
    """Load ``product_dir`` and open its stores; raise ``DocumentInvalid`` or
    ``ProductConfigError`` when it cannot be served.

    ``env`` replaces the process environment (``product.env`` is read either way);
    relative server paths start at ``root`` (default: the current directory). The kit's
    limits come from ``settings`` (default: ``MESHGATE_PRODUCT_*`` variables of
    ``product.env`` and ``env``).
    """
    folder = load_product_folder(product_dir, env)
    # Newest product version first, so a table name means its newest contract.
    newest_first = [c for v in reversed(folder.descriptor.versions) for c in _outputs(folder, v)]
    tables = tables_of(newest_first)
    # A product none of whose output contracts is in the folder has no tables to read.
    server_name = choose_server(folder.outputs, server) if folder.outputs else (server or "")
    kit_settings = settings or KitSettings.from_env(folder.env)
    stores = open_stores(
        tables, server_name, root or Path.cwd(), folder.env, kit_settings.csv_copy_max_bytes
    )
    try:
        environ = os.environ if env is None else env
        chosen, generated = resolve_token(token, environ)
        # Only the operator's setting places the state file; nothing a caller sends does.
        kit_state = KitState.open(kit_settings.state_path, folder.path)
        try:
            return ProductRuntime(
                folder, tables, stores, token=chosen, token_generated=generated,
                probe_ttl=probe_ttl, results_ttl=results_ttl, settings=kit_settings,
                outbound=Outbound.from_env(folder.env), kit_state=kit_state,
            )  # fmt: skip
        except BaseException:
            kit_state.close()
            raise
    except BaseException:
        # A bad setting or outbound policy after the stores opened: close them (a local
        # product holds a DuckDB database open) before the error goes up.
        stores.close()
        raise


def _outputs(folder: ProductFolder, version: Any) -> list[Any]:
    """The contracts of ``version``'s output ports that the folder holds."""
    held = (folder.contracts.get((r.contract_id, r.version)) for r in version.outputs)
    return [doc for doc in held if doc is not None]


class ProductRuntime:
    """Everything a product gateway answers, for one loaded product."""

    def __init__(
        self,
        folder: ProductFolder,
        tables: list[Table],
        stores: StoreSet,
        *,
        token: str,
        token_generated: bool = False,
        probe_ttl: float = 5.0,
        results_ttl: float = 30.0,
        settings: KitSettings | None = None,
        outbound: Outbound | None = None,
        kit_state: KitState | None = None,
    ) -> None:
        self.settings = settings or KitSettings()
        # The kit's own state (run state, configure overrides, subscriptions): kept across
        # restarts in the state file; in memory when none is given.
        self.kit_state = kit_state or KitState.open(":memory:", folder.path)
        self.folder = folder
        self.outbound = outbound or Outbound()
        self.descriptor = folder.descriptor
        self.tables = tables
        self.stores = stores
        self.token = token
        self.token_generated = token_generated
        self.state = state.StateMachine(_kept_run_state(self.kit_state))
        self.metrics = Metrics()
        self.events = EventBus(folder.descriptor.id, self.outbound)
        self.definition = _kept_definition(
            self.kit_state, Definition(folder.descriptor.purpose, folder.descriptor.tags)
        )
        self._probes = TimedCache(probe_ttl)
        self._results = TimedCache(results_ttl)
        # A thread for each connection the stores may use at once, so their pools are used.
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max(4, stores.concurrency), thread_name_prefix="product-store"
        )
        self.certification_watch = CertificationWatch(self.events, self.kit_state)
        self.subscribers = Subscribers(
            self.events,
            token,
            max_total=self.settings.max_subscriptions,
            per_minute=self.settings.subscriptions_per_minute,
            store=self.kit_state,
        )

    # -- lifecycle ---------------------------------------------------------------------

    async def open(self) -> None:
        """Start what needs the event loop (the events' HTTP client)."""
        self.events.open()

    async def close(self) -> None:
        """Finish deliveries, close stores and threads (each even if an earlier one fails)."""
        try:
            await self.events.close()
        finally:
            try:
                await self._run(self.stores.close)
            finally:
                self._pool.shutdown(wait=True)
                self.kit_state.close()

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    # -- discover ----------------------------------------------------------------------

    def metadata(self, base: str) -> dict[str, Any]:
        """The ``/discover/metadata`` answer, linked from ``base``."""
        return metadata(
            base,
            self.descriptor,
            self.folder.outputs,
            self.definition,
            self.state.state,
            warning_entries(self.folder.warnings, self.folder.path),
        )

    def artifacts(self, base: str) -> list[answers.Artifact]:
        """Every artifact, linked from ``base``."""
        return artifacts(base, self.descriptor, self.folder.outputs, self.tables)

    def artifact(self, base: str, artifact_id: str) -> answers.Artifact:
        """One artifact; raise :class:`NotFound`."""
        for item in self.artifacts(base):
            if item["id"] == artifact_id:
                return item
        raise NotFound(f"no artifact {artifact_id!r} in this product")

    def contract(self, contract_id: str, version: str) -> dict[str, Any]:
        """An output contract as written (placeholders resolved); raise :class:`NotFound`."""
        for doc in self.folder.outputs:
            if doc.id == contract_id and doc.version == version:
                return doc.raw
        raise NotFound(f"this product publishes no contract {contract_id} version {version}")

    async def register(self, registry: Any, metadata_url: str) -> tuple[int, Any]:
        """POST this product's metadata URL to ``registry``; (status, answer) of the registry.

        ``registry`` must be one the operator listed (see :mod:`productkit.outbound`),
        or None when exactly one is listed. Raise ``RegistryNotConfigured``,
        ``AddressRefused``, ``RegistryTimeout`` or ``RegistryUnreachable``; no message
        names the registry or the connect error (they go to the log).
        """
        url = self.outbound.registry(registry)
        timeout = httpx.Timeout(REGISTRATION_TIMEOUT_SECONDS)
        try:
            async with (
                asyncio.timeout(REGISTRATION_TIMEOUT_SECONDS),
                guarded_client(self.outbound.policy, timeout=timeout) as client,
                client.stream(
                    "POST",
                    url,
                    json={"url": metadata_url},
                    headers=self.outbound.registry_headers(),
                ) as answer,
            ):
                status, raw = answer.status_code, await _read_capped(answer)
        except UpstreamAddressRefused:
            log.warning("registration: registry %s has an address not allowed", url)
            raise AddressRefused(
                "the registry's address is not one this product may call"
            ) from None
        except (TimeoutError, httpx.TimeoutException):
            log.warning("registration: registry %s did not answer in time", url)
            raise RegistryTimeout("the registry did not answer in time") from None
        except httpx.HTTPError as exc:
            log.warning("registration: registry %s: %r", url, exc)
            raise RegistryUnreachable("the registry did not answer") from None
        if raw is None:
            raise RegistryUnreachable("the registry answered more than the kit reads")
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"text": raw.decode("utf-8", "replace")}
        return status, body

    # -- observe -----------------------------------------------------------------------

    async def _probe(
        self,
    ) -> tuple[list[answers.HealthCheck], dict[str, TableStats | StoreUnavailable]]:
        return await self._probes.get("probe", lambda: self._run(probe, self.stores, self.tables))

    async def health(self) -> answers.Health:
        """The ``/observe/health`` answer, from a fresh (or seconds-old) probe."""
        checks, stats = await self._probe()
        return health_document(self.state.state, self.tables, checks, stats, utcnow())

    async def metrics_document(self) -> answers.Metrics:
        """The ``/observe/metrics`` answer."""
        _, stats = await self._probe()
        counters = self.metrics.snapshot()
        tables: list[answers.TableSize] = [
            {
                "name": t.name,
                "rowCount": s.row_count if isinstance(s, TableStats) else None,
                "lastUpdated": iso(s.last_updated)
                if isinstance(s, TableStats) and s.last_updated
                else None,
                "bytes": s.bytes if isinstance(s, TableStats) else None,
            }
            for t in self.tables
            for s in [stats.get(t.name)]
        ]
        return {**counters, "tables": tables}

    async def results(self) -> list[answers.ObservabilityResult]:
        """Every observability result (cached for ``results_ttl`` seconds)."""

        async def compute() -> list[answers.ObservabilityResult]:
            _, stats = await self._probe()
            return await self._run(
                observe, self.descriptor.id, self.tables, self.stores.by_table, stats, utcnow(),
                self.settings.sql_rule_timeout_seconds,
            )  # fmt: skip

        return await self._results.get("results", compute)

    # -- certify -----------------------------------------------------------------------

    async def certification(self) -> answers.CertificationReport:
        """The certification report; notifies subscribers when it changed."""
        evidence = certify.Evidence(
            self.descriptor, self.folder.outputs, self.tables, await self.results()
        )
        report = certify.report(evidence, utcnow())
        self.certification_watch.observe(report)
        return report

    async def publish_certification(self) -> answers.CertificationReport:
        """Compute the report and push it to the subscribers of published reports."""
        report = await self.certification()
        self.events.publish(CERTIFICATION_PUBLISHED, {"report": dict(report)})
        return report

    # -- control -----------------------------------------------------------------------

    def authorize(self, authorization: str | None) -> None:
        """Raise ``Unauthorized`` / ``Forbidden`` unless the header holds the token."""
        check_bearer(authorization, self.token)

    def control(self, action: str) -> answers.RunState:
        """Apply a state action (start, stop, pause, resume); tell subscribers of a change."""
        change = self.state.apply(action)
        if change.changed:
            # Kept before anyone hears of it: a paused product stays paused after a restart.
            self.kit_state.set_value(RUN_STATE_KEY, change.after)
            log.info("product %s: %s -> %s", self.descriptor.id, change.before, change.after)
            self.events.publish(
                STATE_CHANGED, {"action": action, "from": change.before, "to": change.after}
            )
        return change.after

    def configure(self, body: Any) -> answers.Configured:
        """Change the served description and tags from ``{"description"?, "tags"?}``."""
        if not isinstance(body, dict) or set(body) - {"description", "tags"}:
            raise BadInput('body: expected {"description"?: string, "tags"?: [string]}')
        description = body.get("description", self.definition.description)
        tags = body.get("tags", list(self.definition.tags))
        if description is not None and not isinstance(description, str):
            raise BadInput("description: expected a string", argument="description")
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            raise BadInput("tags: expected a list of non-empty strings", argument="tags")
        definition = Definition(description, tuple(dict.fromkeys(tags)))
        changed = {"description": description, "tags": list(definition.tags)}
        self.kit_state.set_value(DEFINITION_KEY, changed)
        self.definition = definition
        self.events.publish(CONFIGURED, changed)
        return {
            "state": self.state.state,
            "description": description,
            "tags": list(self.definition.tags),
        }

    # -- consume -----------------------------------------------------------------------

    async def consume(self, table_name: str, limit: Any, offset: Any) -> answers.Page:
        """A page of a table; 503 errors when paused or stopped."""
        if self.state.state == state.PAUSED:
            raise ProductPaused("the product is paused: its data is not served until resumed")
        if self.state.state == state.STOPPED:
            raise ProductStopped("the product is stopped: its data is not served")
        table = next((t for t in self.tables if t.name == table_name), None)
        if table is None:
            raise NotFound(f"no table {table_name!r} in this product")
        size = _whole(limit, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        start = _whole(offset, "offset", 0, 0, None)
        store = self.stores.by_table[table.name]
        columns, rows = await self._run(store.sample, table, size, start)
        self.metrics.record_consume(len(rows))
        log.info("consume %s limit=%s offset=%s rows=%s", table.name, size, start, len(rows))
        return {
            "table": table.name,
            "columns": columns,
            "rows": [[jsonable(v) for v in row] for row in rows],
            "limit": size,
            "offset": start,
        }


RUN_STATE_KEY = "runState"
DEFINITION_KEY = "definition"


def _kept_run_state(kept: KitState) -> answers.RunState:
    """The run state of the last run (``running`` the first time)."""
    value = kept.value(RUN_STATE_KEY)
    if value is None:
        return state.RUNNING
    for known in (state.RUNNING, state.PAUSED, state.STOPPED):
        if value == known:
            return known
    raise StateFileError(
        f"the kit's state file {kept.shown} holds an unknown run state; "
        "move it aside or restore it from a backup"
    )


def _kept_definition(kept: KitState, declared: Definition) -> Definition:
    """What ``/control/configure`` last set, else the folder's description and tags."""
    value = kept.value(DEFINITION_KEY)
    if value is None:
        return declared
    description, tags = (
        (value.get(k) for k in ("description", "tags")) if isinstance(value, dict) else (None, None)
    )
    if not (description is None or isinstance(description, str)) or not (
        isinstance(tags, list) and all(isinstance(t, str) for t in tags)
    ):
        raise StateFileError(
            f"the kit's state file {kept.shown} holds an unreadable configuration; "
            "move it aside or restore it from a backup"
        )
    return Definition(description, tuple(tags))


def _whole(raw: Any, name: str, default: int, low: int, high: int | None) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = low - 1
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise BadInput(f"{name}: expected a whole number {bounds}", argument=name)
    return value


async def _read_capped(answer: httpx.Response) -> bytes | None:
    """The body of ``answer``, or None when it exceeds :data:`MAX_REGISTRY_ANSWER_BYTES`."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in answer.aiter_bytes():
        size += len(chunk)
        if size > MAX_REGISTRY_ANSWER_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
