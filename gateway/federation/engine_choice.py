"""Which engine runs a query, and taking it for the length of the query.

``duckdb`` is the embedded engine of the catalog's current generation, rebuilt only when
the catalog's tables change and swapped without blocking
(:mod:`gateway.federation.engine_slot`); ``trino`` is the cluster at
``MESHGATE_TRINO_URL``, when one is set.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from gateway.errors import BadRequest, EngineUnavailable
from gateway.federation.catalog import ENGINES
from gateway.federation.engine_slot import EngineSlot
from gateway.federation.engines import DuckDBEngine, Engine
from gateway.federation.engines.trino_engine import TrinoEngine, TrinoSettings
from gateway.federation.live_catalog import CatalogView
from gateway.federation.reach import Reach
from gateway.settings import Settings


@dataclass(frozen=True)
class Use:
    """An engine taken for one query until ``release()``; ``hold()`` keeps it open for a
    later holder (a stream's worker) and returns that holder's release."""

    engine: Engine
    hold: Callable[[], Callable[[], None]]
    release: Callable[[], None]


def _nothing() -> None:
    """The release of an engine that is never swapped (Trino)."""


class EngineChoice:
    def __init__(self, settings: Settings, reach: Reach) -> None:
        self._settings = settings
        self._reach = reach
        self.slot = EngineSlot()
        self._trino: TrinoEngine | None = None
        if settings.trino_url:
            self._trino = TrinoEngine(TrinoSettings(url=settings.trino_url))

    def name(self, engine: str | None) -> str:
        """The engine a caller named (the configured default when none), or BadRequest."""
        name = (engine or self._settings.sql_engine).lower()
        if name not in ENGINES:
            raise BadRequest(f"engine: expected one of {', '.join(ENGINES)}, got {name!r}")
        return name

    async def take(self, name: str, catalog: CatalogView) -> Use:
        """The engine to run a plan of ``catalog`` on, until ``release()``: the DuckDB
        engine of that catalog generation stays open until then (and for any holder)."""
        if name == "trino":
            if self._trino is None:
                raise EngineUnavailable(
                    "engine TRINO is not configured: set MESHGATE_TRINO_URL", engine="trino"
                )
            return Use(self._trino, lambda: _nothing, _nothing)
        build = functools.partial(
            DuckDBEngine,
            catalog.tables(),
            root=self._reach.root,
            memory_limit=self._settings.duckdb_memory_limit,
            reach=self._reach,
        )
        lease = await self.slot.lease(catalog.generation, build)
        return Use(lease.engine, lease.hold, lease.release)

    @contextlib.asynccontextmanager
    async def using(self, name: str, catalog: CatalogView) -> AsyncIterator[Use]:
        """:meth:`take` for the length of the block."""
        use = await self.take(name, catalog)
        try:
            yield use
        finally:
            use.release()

    async def close(self) -> None:
        """Close every engine (off the event loop)."""
        await self.slot.close()
        if self._trino is not None:
            await self._trino.close()
