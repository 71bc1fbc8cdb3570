"""The people to tell about a product: a seam where later subscriptions plug in.

:class:`Subscribers` answers "who must hear about this product". This increment's answer
is the product's own people, read from its live ODPS descriptor: its team members (the
owner first) and its support channels. Stored subscriptions (webhooks, WebSocket
subscribers, issue 9 item 5) will be another :class:`Subscribers`, combined with this one
by :class:`AllSubscribers`, without changing ``impact``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.registry import RegisteredProduct

TEAM = "team"
SUPPORT = "support"


@dataclass(frozen=True)
class Subscriber:
    """Someone to tell: a team member (``name``, ``username``, ``role``) or a support
    channel (``name`` the channel, ``url`` where to reach it, ``role`` its scope)."""

    kind: str  # TEAM, SUPPORT, or what a later source calls its subscribers
    name: str
    username: str | None = None
    role: str | None = None
    url: str | None = None
    tool: str | None = None


class Subscribers(Protocol):
    async def of(self, product: RegisteredProduct) -> Sequence[Subscriber]:
        """Who must hear about ``product``; empty when it names nobody or cannot say."""
        ...


class AllSubscribers:
    """Several sources of subscribers, asked together; each person once, in order."""

    def __init__(self, *sources: Subscribers) -> None:
        self._sources = sources

    async def of(self, product: RegisteredProduct) -> Sequence[Subscriber]:
        found = await asyncio.gather(*(s.of(product) for s in self._sources))
        return list(dict.fromkeys(s for group in found for s in group))
