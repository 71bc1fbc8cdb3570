"""Opening the webhook side of notifications for a gateway process: the notify store on
the registry's database, its delivery-log retention, the guarded client, the deliverer,
and the sink the notifier hands events to (docs/notifications.md, ``## Webhooks``)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import httpx

from gateway import __version__, lineage
from gateway.net.addresses import AddressPolicy
from gateway.net.transport import guarded_client
from gateway.notify.deliverer import Deliverer
from gateway.notify.notifier import Notifier
from gateway.notify.store import NotifyStore, open_notify_store
from gateway.notify.stored_ledger import StoredLedger
from gateway.notify.subscribers import WebhookSubscribers
from gateway.notify.webhook_sink import WebhookSink
from gateway.notify.webhooks import Webhooks
from gateway.registry import Registry
from gateway.retention import Retention
from gateway.settings import Settings

PURGE_SECONDS = 3600.0
"""How often finished deliveries past their retention are purged (also at start)."""


@dataclass
class WebhookService:
    store: NotifyStore
    ledger: StoredLedger
    webhooks: Webhooks
    deliverer: Deliverer
    sink: WebhookSink
    subscribers: WebhookSubscribers

    def attach(self, notifier: Notifier) -> None:
        """Store a delivery for every event ``notifier`` tells, and start sending."""
        notifier.add_sink(self.sink)
        self.deliverer.start()


def webhook_policy(settings: Settings) -> AddressPolicy:
    """The addresses webhooks may resolve to, from ``notify_webhook_allowed_networks``."""
    try:
        return AddressPolicy.of(settings.notify_webhook_allowed_networks)
    except ValueError as exc:
        raise ValueError(f"MESHGATE_NOTIFY_WEBHOOK_ALLOWED_NETWORKS: {exc}") from None


async def open_webhooks(
    settings: Settings, registry: Registry, stack: contextlib.AsyncExitStack
) -> WebhookService:
    """Everything webhooks need, each closed by ``stack``; the deliverer starts on
    :meth:`WebhookService.attach`."""
    policy = webhook_policy(settings)
    store = await open_notify_store(settings.registry_url, pool_size=settings.store_pool_size)
    stack.push_async_callback(store.close)
    retention = Retention(
        "webhook deliveries", store.purge, days=settings.notify_delivery_retention_days,
        interval_seconds=PURGE_SECONDS,
    )  # fmt: skip
    stack.push_async_callback(retention.close)
    await retention.start()
    timeout = settings.notify_webhook_timeout_seconds
    client = guarded_client(
        policy,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=16, max_keepalive_connections=0),
        headers={"user-agent": f"meshgate-webhooks/{__version__}"},
    )
    stack.push_async_callback(client.aclose)
    deliverer = Deliverer(
        store, client, max_attempts=settings.notify_webhook_max_attempts,
        backoff_seconds=settings.notify_webhook_backoff_seconds, timeout_seconds=timeout,
        poll_seconds=settings.notify_delivery_poll_seconds,
    )  # fmt: skip
    stack.push_async_callback(deliverer.close)
    limits = lineage.Limits(depth=settings.lineage_max_depth, max_nodes=settings.lineage_max_nodes)
    return WebhookService(
        store=store,
        ledger=StoredLedger(store),
        webhooks=Webhooks(
            store,
            policy,
            max_per_subscriber=settings.notify_max_subscriptions_per_caller,
            auditor=registry.auditor,
        ),  # fmt: skip
        deliverer=deliverer,
        sink=WebhookSink(store, registry, deliverer, limits),
        subscribers=WebhookSubscribers(store),
    )
