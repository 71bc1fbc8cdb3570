"""Shared set-up of the webhook tests: the gateway's real services on a database, with
webhooks allowed to the loopback receiver (as an operator would allow an internal one)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway.identity import Principal
from gateway.notify import HEALTH, MeshEvent
from gateway.notify.records import Delivery, WebhookSubscription
from gateway.notify.webhooks import Webhooks
from gateway.services import Services, open_services
from gateway.settings import Settings
from tests.fixtures.uvicorn import LOOPBACK_ONLY

ROOT = Path(__file__).resolve().parents[2]
ALICE = Principal("alice", roles=frozenset({"reader"}))


def settings(registry_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "registry_url": registry_url,
        "upstream_allowed_networks": LOOPBACK_ONLY,
        "notify_webhook_allowed_networks": LOOPBACK_ONLY,
        "health_refresh_seconds": 3600.0,  # tests drive the refreshes
        "certification_interval_seconds": 3600.0,
        "notify_webhook_backoff_seconds": 0.05,
        "notify_delivery_poll_seconds": 0.2,
        "notify_webhook_timeout_seconds": 3.0,
    }
    return Settings(**{**values, **overrides})


async def open_gateway(registry_url: str, **overrides: Any) -> Services:
    return await open_services(settings(registry_url, **overrides))


def webhooks(services: Services) -> Webhooks:
    assert services.webhooks is not None
    return services.webhooks.webhooks


def event(product_id: str, kind: str = HEALTH, **data: Any) -> MeshEvent:
    at = datetime.now(UTC)
    return MeshEvent(kind, product_id, "d.p", at, "something changed", data)


async def log_of(services: Services, subscription: WebhookSubscription) -> list[Delivery]:
    page = await webhooks(services).deliveries(subscription, first=100, after=None)
    return list(page.items)


def verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """A receiver's check, written from the Standard Webhooks spec (docs/notifications.md
    shows the same): HMAC-SHA256 keyed with the base64 after ``whsec_`` over
    ``id.timestamp.body``, base64, after ``v1,``."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [s.partition(",")[2] for s in headers["webhook-signature"].split()]
    return any(hmac.compare_digest(expected, g) for g in given)


def documented_verify() -> Any:
    """The ``verify`` function of the snippet in docs/notifications.md, as a reader copies it."""
    text = (ROOT / "docs" / "notifications.md").read_text()
    section = text.split("## Webhooks", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict[str, Any] = {}
    exec(compile(code, "docs/notifications.md", "exec"), scope)  # noqa: S102 - our own docs
    return scope["verify"]
