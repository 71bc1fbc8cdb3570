"""The long-lived collaborators of a running gateway, opened and closed together.

Each one opened is put on an ``AsyncExitStack`` at once: a start that fails half-way (a
registry database that does not answer, a bad setting) closes what it had opened, in
reverse, before the error goes up; a clean stop closes everything in the same order.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import httpx

from gateway import default_executor
from gateway.audit import AuditLog
from gateway.cache import DocumentCache, create_cache
from gateway.certification import (
    Certifier,
    PolicySet,
    load_policies,
    open_certification_store,
)
from gateway.election import open_election
from gateway.federation.service import Federation
from gateway.feedback import Feedback, FeedbackLimits, open_feedback_store
from gateway.health import HealthHub, HealthMonitor
from gateway.health.shared import SharedVerdicts
from gateway.identity.authenticate import Authenticator, create_authenticator
from gateway.notify import Ledger, Notifier, Relay
from gateway.notify.buses import open_bus
from gateway.notify.wiring import WebhookService, open_webhooks
from gateway.openlineage import LineageEmitter, create_emitter
from gateway.registry import Registry, RegistryStore, open_registry
from gateway.result_cache import ResultCache
from gateway.retention import Retention
from gateway.settings import Settings
from gateway.upstream import UpstreamFetcher, create_http_client
from gateway.upstream.breaker import CircuitBreaker
from gateway.usage import UsageStore, open_usage
from gateway.usage.behind import UsageBehind
from gateway.workers import check_workers

HISTORY_PURGE_SECONDS = 3600.0
"""How often certification history past its retention is purged (also at start)."""


@dataclass
class Services:
    settings: Settings
    http: httpx.AsyncClient
    cache: DocumentCache
    store: RegistryStore
    registry: Registry
    fetcher: UpstreamFetcher
    federation: Federation
    usage: UsageStore
    audit: AuditLog
    authenticator: Authenticator
    usage_retention: Retention
    certifier: Certifier
    health: HealthMonitor
    notifier: Notifier
    feedback: Feedback
    closer: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack, repr=False)
    lineage: LineageEmitter | None = None  # OpenLineage events of queries (None: off)
    webhooks: WebhookService | None = None  # stored subscriptions and deliveries
    result_cache: ResultCache | None = None  # whole answers kept (None: off)


async def open_services(settings: Settings) -> Services:
    """Open the pooled client, the cache, the stores and the federation of ``settings``;
    if any step fails, what the earlier steps opened is closed before the error is raised."""
    check_workers(settings)  # several processes: only settings they can share
    # Before anything hands work to it: asyncio.to_thread never starts a thread on the loop.
    default_executor.install(asyncio.get_running_loop())
    async with contextlib.AsyncExitStack() as stack:
        # First: a bad lineage sink setting stops the start before anything is opened; and
        # opened before the federation, it is closed after it (the streams it stops are sent).
        lineage = create_emitter(settings)
        if lineage is not None:
            stack.push_async_callback(lineage.close)
            lineage.start()
        # A bad issuers, keys or policy file stops the start before anything else opens.
        policies = load_policies(settings.certification_policies_file)
        authenticator = create_authenticator(settings)
        stack.push_async_callback(authenticator.close)
        http = create_http_client(settings)
        stack.push_async_callback(http.aclose)
        cache = create_cache(settings)
        stack.push_async_callback(cache.close)
        pool_size = settings.store_pool_size
        store = await open_registry(settings.registry_url, pool_size=pool_size)
        stack.push_async_callback(store.close)
        # The same database, tables of their own; written behind the answers.
        usage: UsageStore = UsageBehind(
            await open_usage(settings.registry_url, pool_size=pool_size)
        )
        stack.push_async_callback(usage.close)
        usage_retention = Retention(
            "usage", usage.purge, days=settings.usage_retention_days,
            interval_seconds=settings.usage_purge_interval_seconds,
        )  # fmt: skip
        stack.push_async_callback(usage_retention.close)
        await usage_retention.start()
        audit = await AuditLog.open(
            settings.registry_url,
            retention_days=settings.audit_retention_days,
            purge_interval_seconds=settings.audit_purge_interval_seconds,
            pool_size=pool_size,
        )
        stack.push_async_callback(audit.close)
        registry = Registry(
            store, http, auditor=audit, total_timeout=settings.upstream_total_timeout
        )
        fetcher = UpstreamFetcher.from_settings(http, cache, settings)
        federation = Federation(
            settings, registry, fetcher, recorder=usage, auditor=audit, lineage=lineage
        )
        stack.push_async_callback(federation.close)
        certifier = await _open_certifier(settings, policies, registry, fetcher, stack)
        health = _health_monitor(settings, http, cache, registry)
        stack.push_async_callback(health.close)
        webhooks = await open_webhooks(settings, registry, stack)
        notifier = await _open_notifier(
            settings, registry, health, certifier, webhooks.ledger, stack
        )
        webhooks.attach(notifier)
        feedback = await _open_feedback(settings, notifier, stack)
        result_cache = _result_cache(settings, registry, health, certifier)
        if result_cache is not None:
            stack.push_async_callback(result_cache.close)
        await health.start()
        return Services(
            settings=settings,
            http=http,
            cache=cache,
            store=store,
            registry=registry,
            fetcher=fetcher,
            federation=federation,
            usage=usage,
            audit=audit,
            authenticator=authenticator,
            usage_retention=usage_retention,
            lineage=lineage,
            certifier=certifier,
            health=health,
            notifier=notifier,
            feedback=feedback,
            webhooks=webhooks,
            result_cache=result_cache,
            closer=stack.pop_all(),  # from here on, close_services closes them
        )
    raise AssertionError("unreachable")  # the stack never swallows an error


async def _open_certifier(
    settings: Settings,
    policies: PolicySet,
    registry: Registry,
    fetcher: UpstreamFetcher,
    stack: contextlib.AsyncExitStack,
) -> Certifier:
    """The certification store (the registry's database, a table of its own), its
    retention, and the certifier with its scheduled rounds, each closed by ``stack``."""
    store = await open_certification_store(
        settings.registry_url, pool_size=settings.store_pool_size
    )
    stack.push_async_callback(store.close)
    retention = Retention(
        "certification history", store.purge, days=settings.certification_retention_days,
        interval_seconds=HISTORY_PURGE_SECONDS,
    )  # fmt: skip
    stack.push_async_callback(retention.close)
    await retention.start()
    certifier = Certifier(
        policies, store, registry, fetcher,
        interval_seconds=settings.certification_interval_seconds,
        first_round_seconds=settings.certification_first_round_seconds,
        concurrency=settings.certification_concurrency,
        election=open_election(settings.registry_url, "certification", workers=settings.workers),
    )  # fmt: skip
    stack.push_async_callback(certifier.close)
    certifier.start()
    return certifier


async def _open_notifier(
    settings: Settings,
    registry: Registry,
    health: HealthMonitor,
    certifier: Certifier,
    ledger: Ledger,
    stack: contextlib.AsyncExitStack,
) -> Notifier:
    """The notifier (docs/notifications.md) and the relay feeding it the changes of the
    health monitor, the certifier and the registry; started before any of them runs."""
    bus = await open_bus(settings)  # one process, or every process behind Redis
    stack.push_async_callback(bus.close)
    stack.push_async_callback(ledger.close)  # stored: a change told once across processes
    notifier = Notifier(bus, ledger)
    relay = Relay(notifier, registry, health.hub, certifier.changes, registry.contract_changes)
    stack.push_async_callback(relay.close)
    await relay.start()
    return notifier


async def _open_feedback(
    settings: Settings, notifier: Notifier, stack: contextlib.AsyncExitStack
) -> Feedback:
    """Feedback (docs/feedback.md): its store on the registry's database, tables of its
    own, closed by ``stack``; reports and ratings are told through ``notifier``."""
    store = await open_feedback_store(settings.registry_url, pool_size=settings.store_pool_size)
    stack.push_async_callback(store.close)
    limits = FeedbackLimits(
        max_text_chars=settings.feedback_max_text_chars,
        max_issues_per_hour=settings.feedback_max_issues_per_hour,
        max_ratings_per_hour=settings.feedback_max_ratings_per_hour,
    )
    return Feedback(store, notifier, limits)


def _health_monitor(
    settings: Settings, http: httpx.AsyncClient, cache: DocumentCache, registry: Registry
) -> HealthMonitor:
    """The background judge of every product's health (docs/health.md). Its fetcher reads
    fresh answers only (no cached or stale copy: health is about now) and has its own
    breaker, so a product down for health checks does not trip the graph's. With several
    processes, one runs the refreshes and shares its verdicts through Redis."""
    fetcher = UpstreamFetcher(
        http,
        cache,
        fresh_ttl=0.0,
        stale_ttl=0.0,
        breaker=CircuitBreaker(
            threshold=settings.upstream_breaker_threshold,
            cooldown=settings.upstream_breaker_cooldown_seconds,
        ),
        max_bytes=settings.upstream_max_document_bytes,
        total_timeout=settings.upstream_total_timeout,
    )
    return HealthMonitor(
        registry,
        fetcher,
        HealthHub(),
        interval=settings.health_refresh_seconds,
        concurrency=settings.health_concurrency,
        deadline=settings.health_deadline_seconds,
        max_results=settings.health_max_results,
        max_reasons=settings.health_max_reasons,
        election=open_election(settings.registry_url, "health", workers=settings.workers),
        shared=SharedVerdicts(
            settings.redis_url,
            settings.registry_url,
            keep_seconds=3 * settings.health_refresh_seconds,
        )
        if settings.workers > 1
        else None,
    )


async def close_services(services: Services) -> None:
    """Close everything :func:`open_services` opened, the last opened first."""
    await services.closer.aclose()


def _result_cache(
    settings: Settings, registry: Registry, health: HealthMonitor, certifier: Certifier
) -> ResultCache | None:
    """The cache of whole answers, whose epoch moves with every change of the registry, of
    a product's health status and of a certification; None when off or when documents are
    not cached at all (an answer would outlive the documents it was built from)."""
    if not settings.result_cache or settings.cache_ttl_seconds <= 0:
        return None
    health_hub, certifications = health.hub, certifier.changes
    return ResultCache(
        max_entries=settings.result_cache_max_entries,
        max_bytes=settings.result_cache_max_bytes,
        stale_seconds=settings.result_cache_stale_seconds,
        epoch=lambda: (registry.generation, health_hub.published, certifications.published),
    )
