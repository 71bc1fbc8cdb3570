"""Notifications (docs/notifications.md): the events of the mesh's changes, told once
across gateway processes, to live subscribers and to stored ones."""

from __future__ import annotations

from gateway.notify.bus import EventBus, LocalBus
from gateway.notify.event import (
    CERTIFICATION,
    CONTRACT,
    HEALTH,
    ISSUE,
    KINDS,
    RATING,
    MeshEvent,
)
from gateway.notify.ledger import Ledger
from gateway.notify.notifier import Notifier, Sink
from gateway.notify.relay import Relay

__all__ = [
    "CERTIFICATION",
    "CONTRACT",
    "HEALTH",
    "ISSUE",
    "KINDS",
    "RATING",
    "EventBus",
    "Ledger",
    "LocalBus",
    "MeshEvent",
    "Notifier",
    "Relay",
    "Sink",
]
