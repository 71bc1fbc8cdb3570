"""The ledger of last known states: a change is told once, whichever process saw it.

Every gateway process judges health and certifies on its own, so two processes see the
same change. Before an event of a state (health status, certification status and level,
the set of contract versions) is published, :meth:`Ledger.advance` records the new state
atomically and says whether it differs from the one recorded: only the process whose
``advance`` returns True publishes. The first state recorded for a product is its baseline
and is not told (a gateway that starts is not news); the ledger is stored
(:mod:`gateway.notify.stored_ledger`), so a restart does not tell every state again.
"""

from __future__ import annotations

from typing import Protocol


class Ledger(Protocol):
    async def advance(self, kind: str, product_id: str, state: str) -> bool:
        """Record ``state`` as the last of (``kind``, ``product_id``); True when a different
        state was recorded before (a change to tell), False when it is the same or the
        first one (a baseline)."""
        ...

    async def close(self) -> None: ...
