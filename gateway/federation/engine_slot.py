"""One DuckDB engine per catalog generation, leased by the queries that use it.

The embedded engine holds a view per catalog table, so it is rebuilt when the catalog's
tables change. Closing the old one on the event loop (its pool waits for its workers) and
under a lock would stall every request and cut the queries still running on it. Instead:

* a query takes a :class:`Lease` on the engine of the generation it was planned on; the
  engine is built (in a thread) by the first query that needs it, the others of the same
  generation wait for that one build, and nobody waits behind a lock;
* the newest engine built becomes current; an older one is *retired*: it takes no new
  queries and is closed, in a thread, once the last lease on it is released (a stream
  holds its lease until its worker thread has let go of the cursor);
* a build that fails hands each waiter a coded :class:`~gateway.errors.SqlEngineError`.

>>> import asyncio
>>> from pathlib import Path
>>> from gateway.federation.engines import DuckDBEngine
>>> async def demo() -> list[tuple[int, ...]]:
...     slot = EngineSlot()
...     lease = await slot.lease(1, lambda: DuckDBEngine([], root=Path(".")))
...     rows = (await lease.engine.run_sql("SELECT 1", timeout_s=5, max_rows=1)).rows
...     lease.release()
...     await slot.close()
...     return rows
>>> asyncio.run(demo())
[(1,)]
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.errors import EngineUnavailable, GatewayError, SqlEngineError
from gateway.federation.engines import DuckDBEngine

log = logging.getLogger(__name__)

Build = Callable[[], DuckDBEngine]
"""Builds the engine of one generation; blocking (it runs in a worker thread)."""


@dataclass(eq=False)
class _Held:
    generation: int
    task: asyncio.Task[DuckDBEngine]
    users: int = 0  # leases held plus queries waiting for the build
    retired: bool = False
    closing: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)  # closed (or never built)


class Lease:
    """The right to use :attr:`engine` until :meth:`release`; :meth:`hold` hands a
    second holder (a stream's worker) its own release."""

    def __init__(self, slot: EngineSlot, held: _Held, engine: DuckDBEngine) -> None:
        self.engine = engine
        self._slot = slot
        self._held = held
        self.release = self._once()

    def hold(self) -> Callable[[], None]:
        """One more holder; call the returned function (once is enough) to let go."""
        self._held.users += 1
        return self._once()

    def _once(self) -> Callable[[], None]:
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._slot._release(self._held)

        return release


class EngineSlot:
    """The DuckDB engines of a federation: the current one, those being built, and those
    retired but still in use. :attr:`builds` counts the engines built (for tests and logs).
    """

    def __init__(self) -> None:
        self._current: _Held | None = None
        self._building: dict[int, _Held] = {}
        self._retired: set[_Held] = set()
        self._closed = False
        self.builds = 0

    async def lease(self, generation: int, build: Build) -> Lease:
        """A lease on the engine of ``generation``, built with ``build`` if none is."""
        if self._closed:
            raise EngineUnavailable("the gateway is shutting down", engine="duckdb")
        held = self._current
        if held is None or held.generation != generation:
            held = self._building.get(generation) or self._start(generation, build)
        held.users += 1
        try:
            # Shielded: a caller that goes away must not cancel a build others wait for.
            engine = await asyncio.shield(held.task)
        except BaseException:
            self._release(held)
            raise
        return Lease(self, held, engine)

    def _start(self, generation: int, build: Build) -> _Held:
        self.builds += 1
        held = _Held(generation, asyncio.ensure_future(self._build(build)))
        self._building[generation] = held
        # Registered first: runs before any waiter resumes, so none sees a closed engine.
        held.task.add_done_callback(lambda _: self._built(held))
        return held

    @staticmethod
    async def _build(build: Build) -> DuckDBEngine:
        try:
            return await asyncio.to_thread(build)
        except GatewayError:
            raise
        except Exception as exc:  # the engine's own words name files: they stay in the log
            log.exception("building the DuckDB engine failed")
            raise SqlEngineError(
                f"the duckdb engine could not start ({type(exc).__name__}; details in the "
                "gateway's log)",
                engine="duckdb",
            ) from None

    def _built(self, held: _Held) -> None:
        self._building.pop(held.generation, None)
        if held.task.cancelled() or held.task.exception() is not None:
            held.done.set()
            return
        current = self._current
        if not self._closed and (current is None or held.generation > current.generation):
            self._current = held
            if current is not None:
                self._retire(current)
        else:  # a newer engine is current already: serve this one's waiters, then close
            self._retire(held)

    def _retire(self, held: _Held) -> None:
        held.retired = True
        self._retired.add(held)
        self._close_if_idle(held)

    def _release(self, held: _Held) -> None:
        held.users -= 1
        self._close_if_idle(held)

    def _close_if_idle(self, held: _Held) -> None:
        if held.retired and held.users <= 0 and not held.closing and held.task.done():
            held.closing = True
            closing = asyncio.get_running_loop().create_task(self._close_engine(held))
            closing.add_done_callback(lambda _: self._retired.discard(held))

    @staticmethod
    async def _close_engine(held: _Held) -> None:
        try:
            # Off the loop: the engine's pool waits for the workers still finishing.
            await held.task.result().close()
        except Exception:
            log.exception("closing a retired DuckDB engine failed")
        finally:
            held.done.set()

    async def close(self) -> None:
        """Take no more leases; wait for the builds under way; close every engine (those
        still leased too: the federation closes last)."""
        self._closed = True
        for held in list(self._building.values()):
            await asyncio.wait([held.task])
        everything = [h for h in (self._current, *self._retired) if h is not None]
        self._current = None
        for held in everything:
            held.retired = True
            held.users = 0
            self._close_if_idle(held)
        for held in everything:
            await held.done.wait()
