"""The ledger kept in the notify store: a change is told once across every process
sharing the database, and a restart does not tell every product's state again."""

from __future__ import annotations

from datetime import datetime

from gateway.notify.store import NotifyStore


class StoredLedger:
    """A :class:`gateway.notify.Ledger` over :meth:`NotifyStore.advance` (insert the
    baseline if there is none, else update only a different state observed no earlier: the
    row count says which process saw the change first)."""

    def __init__(self, store: NotifyStore) -> None:
        self._store = store

    async def advance(self, kind: str, product_id: str, state: str, observed: datetime) -> bool:
        return await self._store.advance(kind, product_id, state, observed)

    async def close(self) -> None:
        return None  # the store is closed by whoever opened it
