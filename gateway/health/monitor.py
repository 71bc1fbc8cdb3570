"""The health monitor: judges every registered product in the background, keeps the last
verdicts, and publishes each change of status on the hub.

``meshHealth`` and ``Product.health`` answer from the kept verdicts, so a GraphQL request
never calls every product. One refresh checks products with bounded concurrency and a
deadline per product; a refresh that overruns the interval is followed at once by the
next one, never overlapped.

The monitor also follows the registry (:class:`gateway.follow.Follower`): a product
registered or refreshed is judged at once, in the background, and one unregistered
leaves the verdicts at once, without waiting for the next refresh.

With several gateway processes, one runs the refreshes (its ``election``) and shares its
verdicts (``shared``), as each process shares its verdicts on products registered through
it; every process reads them every few seconds, keeping a verdict of its own where it is
newer (a product found unreachable by one of its requests).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from gateway.cancelled import stop_if_cancelled
from gateway.election import Alone, Election
from gateway.follow import Follower
from gateway.health.gather import evidence
from gateway.health.hub import HealthChanged, HealthHub
from gateway.health.judge import Evidence, judge
from gateway.health.model import UNKNOWN, Judgement
from gateway.health.shared import Round, SharedVerdicts
from gateway.registry import RegisteredProduct, Registry
from gateway.registry.listing import listing_key
from gateway.upstream import UpstreamFetcher

log = logging.getLogger(__name__)
_PAGE = 500  # products listed from the registry at a time
SPREAD = 0.5
"""The share of the interval over which the checks of one refresh start, evenly, after
the first refresh (which checks every product at once). All at once, every product
computed its observability results in the same second: on a machine shared with the
products (the demo, the peer benchmark), a burst of their CPU every interval, during
which the gateway's own answers waited (p99 / p50 of 8 in the windows holding one, 2
in the others). Spread, they come one at a time; the other half of the interval leaves
room for slow answers before the next refresh."""
FOLLOWER_SECONDS = 5.0
"""How often a process not running the refreshes reads the shared verdicts and asks to
run them (so one takes over this long after the one running them died, at most)."""


def _now() -> datetime:
    return datetime.now(UTC)


class HealthMonitor:
    """Owns the refresh task (started by :meth:`start`, ended by :meth:`close`)."""

    def __init__(
        self,
        registry: Registry,
        fetcher: UpstreamFetcher,
        hub: HealthHub,
        *,
        interval: float,
        concurrency: int,
        deadline: float,
        max_results: int,
        max_reasons: int,
        clock: Callable[[], datetime] = _now,
        election: Election | None = None,
        shared: SharedVerdicts | None = None,
    ) -> None:
        self.registry = registry
        self.hub = hub
        self.interval = interval
        self._fetcher = fetcher
        self._limit = asyncio.Semaphore(max(concurrency, 1))
        self._deadline = deadline
        self._max_results = max_results
        self._max_reasons = max_reasons
        self._clock = clock
        self._election = election or Alone()
        self._shared = shared
        self._verdicts: dict[str, Judgement] = {}
        self._task: asyncio.Task[None] | None = None
        self.follower = Follower(self._follow, "health")
        # Products unregistered since the last refresh, by how many times: a check that
        # began before (a refresh under way) must not bring the verdict back.
        self._forgotten: dict[str, int] = {}
        # Checks are numbered as they begin; a kept verdict remembers its check's number,
        # so a check that began before it (slow, say) cannot replace it when it ends.
        self._numbers = itertools.count()
        self._kept_number: dict[str, int] = {}
        self.refreshes = 0  # completed refreshes (tests and operators read it)

    async def start(self) -> None:
        """Start refreshing in the background (the first refresh begins at once) and
        following the registry's changes."""
        if self._task is None:
            self.registry.subscribe(self.follower)
            self._task = asyncio.create_task(self._loop(), name="health-monitor")

    async def close(self) -> None:
        """Stop refreshing and following; waits for the tasks to unwind."""
        self.registry.unsubscribe(self.follower)
        await self.follower.close()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._election.close()
        if self._shared is not None:
            await self._shared.close()

    async def _loop(self) -> None:
        clock = asyncio.get_running_loop().time
        due = clock()  # the next refresh
        spread = 0.0  # the first refresh checks every product at once
        while True:
            led = False
            try:
                if clock() >= due and await self._election.leading():
                    due = clock() + self.interval  # an overrun is followed at once
                    led = True
                    await self._lead(spread)
                    spread = SPREAD * self.interval
                elif self._shared is not None:
                    found = await self._shared.newer()
                    if found is not None:
                        self._adopt(found)
            except Exception:  # a registry hiccup must not end the monitor
                log.exception("health refresh failed")
            stop_if_cancelled()  # Redis may have swallowed a close's cancellation
            await asyncio.sleep(self._pause(due, led))

    def _pause(self, due: float, led: bool) -> float:
        """Seconds until the loop's next turn, ``due`` being when the next refresh is.

        Before ``due``: alone, sleep until then; several processes, read what the others
        found and ask to lead every :data:`FOLLOWER_SECONDS` meanwhile. Past ``due``, after
        a refresh of ours that overran: the next one at once. Past ``due`` and not leading
        (another process leads, or the election failed): ask again in
        :data:`FOLLOWER_SECONDS` (before, a follower asked at once, again and again: a
        process spinning on PostgreSQL and Redis at full speed for as long as it ran).
        """
        now = asyncio.get_running_loop().time()
        if due > now:
            return due - now if self._shared is None else min(due - now, FOLLOWER_SECONDS)
        return 0.0 if led else FOLLOWER_SECONDS

    async def _lead(self, spread: float) -> None:
        """A refresh by the process elected to run them, its verdicts then shared."""
        began = self._clock()
        await self.refresh(spread)
        if self._shared is not None:
            await self._shared.write(began, self._verdicts.values())

    def _adopt(self, shared: Round) -> None:
        """Take the shared verdicts, keeping ours where newer and those of products
        checked here since the last full round began (registered meanwhile); products
        unregistered through this process stay out."""
        mine = self._verdicts
        kept = {
            pid: theirs if pid not in mine or mine[pid].checked_at <= theirs.checked_at
            else mine[pid]
            for pid, theirs in shared.verdicts.items()
            if pid not in self._forgotten
        }  # fmt: skip
        for pid, verdict in mine.items():
            if pid not in kept and verdict.checked_at >= shared.started:
                kept[pid] = verdict
        self._verdicts = kept
        self._kept_number = {p: n for p, n in self._kept_number.items() if p in kept}

    async def _products(self) -> list[RegisteredProduct]:
        found: list[RegisteredProduct] = []
        while True:  # pages after the last key: each one walks the listing index from there
            after = listing_key(found[-1]) if found else None
            page = await self.registry.list(limit=_PAGE, after=after)
            found.extend(page)
            if len(page) < _PAGE:
                return found

    async def refresh(self, spread: float = 0.0) -> None:
        """Judge every registered product once, the checks starting evenly over ``spread``
        seconds (in the order of the listing); forget products no longer registered."""
        products = await self._products()
        step = spread / len(products) if products else 0.0
        await asyncio.gather(*(self._check_at(k * step, p) for k, p in enumerate(products)))
        keep = {p.id for p in products}
        for gone in [pid for pid in self._verdicts if pid not in keep]:
            del self._verdicts[gone]
            self._kept_number.pop(gone, None)
        self._forgotten.clear()  # this refresh's list already left them out
        self.refreshes += 1

    async def _follow(self, product_id: str) -> None:
        """A registry change: judge the product as it now is, or forget it if gone."""
        product = await self.registry.get(product_id)
        if product is None:
            self._forgotten[product_id] = self._forgotten.get(product_id, 0) + 1
            self._verdicts.pop(product_id, None)
            self._kept_number.pop(product_id, None)
            if self._shared is not None:
                await self._shared.drop(product_id)
        elif self._shared is None:
            await self.check(product)
        else:  # registered again: shared verdicts count again, and this one is shared
            self._forgotten.pop(product_id, None)
            verdict = await self.check(product)
            if self._verdicts.get(product_id) is verdict:  # kept: not unregistered since
                await self._shared.put(verdict)

    async def _check_at(self, delay: float, product: RegisteredProduct) -> Judgement | None:
        """:meth:`check` ``delay`` seconds from now, of the product as listed now; None,
        and no call to it, when it has been unregistered in the meantime."""
        forgotten = self._forgotten.get(product.id, 0)
        if delay > 0:
            await asyncio.sleep(delay)
            if self._forgotten.get(product.id, 0) != forgotten:
                return None
        return await self._check(product, forgotten)

    async def check(self, product: RegisteredProduct) -> Judgement:
        """Judge ``product`` now, keep the verdict, publish a change of status (unless the
        product was unregistered meanwhile: then the verdict is returned, not kept). A check
        that ends after one begun later was kept returns that newer verdict instead: what
        it saw is older (a product paused meanwhile must not read UP again)."""
        return await self._check(product, self._forgotten.get(product.id, 0))

    async def _check(self, product: RegisteredProduct, forgotten: int) -> Judgement:
        number, began = next(self._numbers), self._clock()
        async with self._limit:
            try:
                found = await asyncio.wait_for(
                    evidence(self._fetcher, product, max_results=self._max_results),
                    self._deadline,
                )
            except TimeoutError:
                found = Evidence(
                    product.id, product.key, None,
                    error=f"UPSTREAM_TIMEOUT: no full answer within {self._deadline:g}s",
                )  # fmt: skip
        return self._keep(product, found, forgotten, number, began)

    def unreachable(self, product: RegisteredProduct, error: str) -> Judgement:
        """A read of ``product`` just failed elsewhere in the gateway (a request's own
        fetch): judge that now, keep it and publish a change, as a check would, so no
        answer says UP of a product the gateway has just found it cannot reach."""
        found = Evidence(product.id, product.key, None, error=error)
        forgotten = self._forgotten.get(product.id, 0)
        return self._keep(product, found, forgotten, next(self._numbers), self._clock())

    def _keep(
        self,
        product: RegisteredProduct,
        found: Evidence,
        forgotten: int,
        number: int,
        began: datetime,
    ) -> Judgement:
        """The verdict on ``found``, kept and published unless the product was unregistered
        since the evidence was sought (``forgotten`` is its count of removals then) or a
        check begun after this one's ``number`` was kept already (that verdict is returned).
        ``began`` is when the evidence was sought: the moment the change was observed."""
        if self._forgotten.get(product.id, 0) != forgotten:
            return judge(found, self._clock(), max_reasons=self._max_reasons)
        previous = self._verdicts.get(product.id)
        if previous is not None and self._kept_number.get(product.id, -1) > number:
            return previous
        self._kept_number[product.id] = number
        verdict = judge(found, self._clock(), previous=previous, max_reasons=self._max_reasons)
        self._verdicts[product.id] = verdict
        before = previous.status if previous else UNKNOWN
        if before != verdict.status:
            self.hub.publish(
                HealthChanged(
                    product_id=product.id, product_key=product.key, before=before,
                    after=verdict.status, reasons=tuple(r.code for r in verdict.reasons),
                    at=verdict.checked_at, observed_at=began,
                )
            )  # fmt: skip
        return verdict

    def verdict(self, product_id: str) -> Judgement | None:
        """The last verdict on a product, or None before its first check."""
        return self._verdicts.get(product_id)

    def verdicts(self) -> list[Judgement]:
        """The last verdict on every product checked."""
        return list(self._verdicts.values())
