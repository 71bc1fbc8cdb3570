"""The kinds of mesh events, shared by live subscriptions and webhooks (one enum in the
schema: ``EventKind``)."""

from __future__ import annotations

import enum

import strawberry

from gateway.notify import CERTIFICATION, CONTRACT, HEALTH, ISSUE, RATING


@strawberry.enum(description="What changed (docs/notifications.md).")
class EventKind(enum.Enum):
    HEALTH = HEALTH
    CERTIFICATION = CERTIFICATION
    CONTRACT = CONTRACT
    ISSUE = ISSUE
    RATING = RATING
