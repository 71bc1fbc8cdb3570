"""The ledger of last known states: a change is told once, whichever process saw it.

Every gateway process judges health and certifies on its own, so two processes see the
same change. Before an event of a state (health status, certification status and level,
the set of contract versions) is published, :meth:`Ledger.advance` records the new state
atomically and says whether it differs from the one recorded: only the process whose
``advance`` returns True publishes. The first state recorded for a product is its baseline
and is not told (a gateway that starts is not news). Observations are ordered by when
they were made: a state observed before the one recorded is stale (a check that began
before a product paused and ended after another process recorded PAUSED) and is neither
recorded nor told. The ledger is stored
(:mod:`gateway.notify.stored_ledger`), so a restart does not tell every state again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Ledger(Protocol):
    async def advance(self, kind: str, product_id: str, state: str, observed: datetime) -> bool:
        """Record ``state``, observed at ``observed``, as the last of (``kind``,
        ``product_id``); True when a different state observed no later was recorded before
        (a change to tell), False when it is the same, the first one (a baseline) or older
        than the one recorded (stale)."""
        ...

    async def close(self) -> None: ...
