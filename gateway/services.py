"""The long-lived collaborators of a running gateway, opened and closed together."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from gateway.audit import AuditLog
from gateway.cache import DocumentCache, create_cache
from gateway.federation.service import Federation
from gateway.identity.authenticate import Authenticator, create_authenticator
from gateway.registry import Registry, RegistryStore, open_registry
from gateway.settings import Settings
from gateway.upstream import UpstreamFetcher, create_http_client
from gateway.usage import UsageStore, open_usage


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


async def open_services(settings: Settings) -> Services:
    """Open the pooled client, the cache and the registry store named by ``settings``."""
    # First: a bad issuers or keys file stops the start before anything is opened.
    authenticator = create_authenticator(settings)
    http = create_http_client(settings)
    cache = create_cache(settings)
    store = await open_registry(settings.registry_url)
    usage = await open_usage(settings.registry_url)  # same database, tables of its own
    audit = await AuditLog.open(
        settings.registry_url,  # same database, tables of its own
        retention_days=settings.audit_retention_days,
        purge_interval_seconds=settings.audit_purge_interval_seconds,
    )
    registry = Registry(store, http, auditor=audit, total_timeout=settings.upstream_total_timeout)
    fetcher = UpstreamFetcher.from_settings(http, cache, settings)
    return Services(
        settings=settings,
        http=http,
        cache=cache,
        store=store,
        registry=registry,
        fetcher=fetcher,
        federation=Federation(settings, registry, fetcher, recorder=usage, auditor=audit),
        usage=usage,
        audit=audit,
        authenticator=authenticator,
    )


async def close_services(services: Services) -> None:
    await services.authenticator.close()
    await services.federation.close()
    await services.http.aclose()
    await services.cache.close()
    await services.store.close()
    await services.usage.close()
    await services.audit.close()
