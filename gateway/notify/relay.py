"""The relay: turns the changes the monitor, the certifier and the registry publish on
their hubs into :class:`MeshEvent` and hands them to the notifier.

The publishers stay unaware of notifications (a hub never blocks them); the relay is
where a change becomes something people are told, with a one-line summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from gateway.cancelled import stop_if_cancelled
from gateway.certification import CertificationChanged
from gateway.health import HealthChanged
from gateway.hub import Hub
from gateway.notify.event import CERTIFICATION, CONTRACT, HEALTH, MeshEvent
from gateway.notify.notifier import Notifier
from gateway.registry import ContractsChanged, Registry

log = logging.getLogger(__name__)


def health_event(change: HealthChanged) -> tuple[MeshEvent, str]:
    """The event of a health change and the state it records (observed when the check
    began: ``_health`` hands that to the ledger)."""
    reasons = ", ".join(change.reasons) or "no reason given"
    event = MeshEvent(
        HEALTH, change.product_id, change.product_key, change.at,
        f"{change.product_key} is {change.after} (was {change.before}): {reasons}",
        {"before": change.before, "after": change.after, "reasons": list(change.reasons)},
    )  # fmt: skip
    return event, change.after


def certification_event(change: CertificationChanged) -> tuple[MeshEvent, str]:
    """The event of a certification change and the state it records."""
    status, level = change.after
    before = {"status": change.before[0], "level": change.before[1]} if change.before else None
    event = MeshEvent(
        CERTIFICATION, change.product_id, change.product_key, change.at,
        f"{change.product_key} certification is {status}"
        + (f" at level {level}" if level else " with no level reached"),
        {"before": before, "after": {"status": status, "level": level}},
    )  # fmt: skip
    return event, f"{status}/{level or ''}"


def contract_event(change: ContractsChanged, product_key: str) -> tuple[MeshEvent, str]:
    """The event of new contract versions and the state it records (every version kept)."""
    added = [f"{c}@{v}" for c, v in change.added]
    flags = [
        {"contract": f.contract_id, "from": f.from_version, "to": f.to_version,
         "requiredBump": f.required_bump, "declaredBump": f.declared_bump,
         "message": f.message}
        for f in change.flags
    ]  # fmt: skip
    summary = f"{product_key} published contract version(s) {', '.join(added)}"
    if flags:
        summary += f"; {len(flags)} break(s) a previous version without a major bump"
    event = MeshEvent(
        CONTRACT, change.product_id, product_key, change.at, summary,
        {"added": added, "flags": flags},
    )  # fmt: skip
    return event, ",".join(f"{c}@{v}" for c, v in change.versions)


class Relay:
    """Background tasks, one per hub, feeding the notifier."""

    def __init__(
        self,
        notifier: Notifier,
        registry: Registry,
        health: Hub[HealthChanged],
        certification: Hub[CertificationChanged],
        contracts: Hub[ContractsChanged],
    ) -> None:
        self._notifier = notifier
        self._registry = registry
        self._hubs: tuple[tuple[Hub[Any], Callable[[Any], Awaitable[None]]], ...] = (
            (health, self._health),
            (certification, self._certification),
            (contracts, self._contracts),
        )
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Subscribe to every hub; returns once subscribed, so no change is missed."""
        for hub, handle in self._hubs:
            ready = asyncio.Event()
            self._tasks.append(asyncio.create_task(self._run(hub, handle, ready)))
            await ready.wait()

    async def _run(
        self, hub: Hub[Any], handle: Callable[[Any], Awaitable[None]], ready: asyncio.Event
    ) -> None:
        async with hub.subscribe() as sub:
            ready.set()
            async for change in sub:
                try:
                    await handle(change)
                except Exception:  # the relay outlives a bad change
                    log.exception("telling a change failed: %r", change)
                stop_if_cancelled()

    async def _health(self, change: HealthChanged) -> None:
        event, state = health_event(change)
        await self._notifier.publish(event, state=state, observed=change.observed_at)

    async def _certification(self, change: CertificationChanged) -> None:
        event, state = certification_event(change)
        await self._notifier.publish(event, state=state)

    async def _contracts(self, change: ContractsChanged) -> None:
        product = await self._registry.get(change.product_id)
        key: Any = product.key if product is not None else change.product_id
        event, state = contract_event(change, str(key))
        await self._notifier.publish(event, state=state)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
