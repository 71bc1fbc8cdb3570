"""The certifier: evaluates products against the mesh's policies, on demand and on a
schedule, and keeps every evaluation.

An evaluation fetches the product's documents (:mod:`gateway.certification.gather`), runs
each policy's check off the event loop, and records the verdict together with the
product's own claims. ``status`` and ``level`` come from the mesh's checks only: a product
answering ``OK`` about itself is shown as such (source PRODUCT) and changes nothing.

The schedule is one background task: every ``interval_seconds`` it evaluates every
registered product, at most ``concurrency`` at a time. A product that fails to evaluate
is logged and the round goes on. The first round comes ``first_round_seconds`` after the
start and evaluates only the products that are due (never evaluated, or last evaluated
more than an interval ago), so restarting a gateway does not re-certify the whole mesh.
While the schedule runs, the certifier also follows the registry
(:class:`gateway.follow.Follower`): a product registered or refreshed is evaluated at
once in the background (same ``concurrency``), never making the registration wait.
With several gateway processes, only the one its ``election`` picks runs the scheduled
rounds (each process still evaluates the products registered through it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gateway.certification.evidence import Documents, Outcome
from gateway.certification.gather import gather, product_claims
from gateway.certification.model import (
    MESH,
    NOT_COMPLIANT,
    OK,
    Certification,
    PolicyResult,
    clip,
)
from gateway.certification.policies import PolicySet
from gateway.certification.store import CertificationPage, CertificationStore
from gateway.election import Alone, Election
from gateway.every import Every
from gateway.follow import Follower
from gateway.hub import Hub
from gateway.registry import RegisteredProduct, Registry
from gateway.upstream import UpstreamFetcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CertificationChanged:
    """A product's certification went from ``before`` to ``after`` (``status`` and
    ``level``); ``before`` is None at its first evaluation."""

    product_id: str
    product_key: str
    before: tuple[str, str | None] | None
    after: tuple[str, str | None]
    at: datetime


def evaluate_documents(policies: PolicySet, docs: Documents) -> tuple[PolicyResult, ...]:
    """Each policy's verdict on ``docs`` (pure; run in a worker thread). A check that
    raises fails its policy rather than the evaluation."""
    verdicts: list[PolicyResult] = []
    for policy in policies.policies:
        try:
            outcome = policy.spec.run(docs, policy.parameters)
        except Exception:  # a check's bug on odd input must not hide the other policies
            log.exception("certification check %s failed on %s", policy.check, docs.product_id)
            outcome = Outcome(False, "the check could not judge this product's documents")
        verdicts.append(
            PolicyResult(
                policy.id,
                policy.description,
                outcome.passed,
                clip(outcome.evidence),
                MESH,
                policy.level,
            )  # fmt: skip
        )
    return tuple(verdicts)


class Certifier:
    """Evaluates and stores certifications; owns the scheduled task."""

    def __init__(
        self,
        policies: PolicySet,
        store: CertificationStore,
        registry: Registry,
        fetcher: UpstreamFetcher,
        *,
        interval_seconds: float = 0.0,
        first_round_seconds: float | None = None,
        concurrency: int = 4,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        election: Election | None = None,
    ) -> None:
        self.policies = policies
        self.store = store
        self._registry = registry
        self._fetcher = fetcher
        self._interval = interval_seconds
        self._workers = max(1, concurrency)
        self._slots = asyncio.Semaphore(self._workers)
        self._clock = clock
        self._election = election or Alone()
        first = interval_seconds if first_round_seconds is None else first_round_seconds
        self._first_round = True
        self._timer = Every(
            interval_seconds, self._round, "certification", first=min(first, interval_seconds)
        )
        self.follower = Follower(self._follow, "certification")
        self.rounds = 0  # scheduled rounds run (tests and operators read it)
        self.changes: Hub[CertificationChanged] = Hub()
        """Each change of a product's status or level (not each evaluation)."""

    async def certify(self, product: RegisteredProduct) -> Certification:
        """Evaluate ``product`` now, record the result, publish a change on ``changes``."""
        async with self._slots:
            previous = await self.latest(product.id)
            docs = await gather(self._fetcher, product)
            product_status, claims = await product_claims(self._fetcher, product)
            mesh = await asyncio.to_thread(evaluate_documents, self.policies, docs)
        passed = {r.policy for r in mesh if r.passed}
        certification = Certification(
            product_id=product.id,
            checked_at=self._clock(),
            status=OK if len(passed) == len(mesh) else NOT_COMPLIANT,
            level=self.policies.level_reached(passed),
            report=mesh + claims,
            product_status=product_status,
        )
        new_id = await self.store.record(certification)
        before = (previous.status, previous.level) if previous is not None else None
        after = (certification.status, certification.level)
        if before != after:
            self.changes.publish(
                CertificationChanged(
                    product.id, product.key, before, after, certification.checked_at
                )
            )
        return Certification(**{**certification.__dict__, "id": new_id})

    async def latest(self, product_id: str) -> Certification | None:
        page = await self.store.history(product_id, first=1)
        return page.items[0] if page.items else None

    async def history(
        self, product_id: str, *, first: int = 20, after: str | None = None
    ) -> CertificationPage:
        return await self.store.history(product_id, first=first, after=after)

    async def _round(self) -> int:
        """A scheduled round (in the elected process only): the first this process runs
        evaluates the due products only."""
        if not await self._election.leading():
            return 0
        due_only, self._first_round = self._first_round, False
        try:
            return await self.certify_all(due_only=due_only)
        finally:
            self.rounds += 1

    async def _follow(self, product_id: str) -> None:
        """A registry change: evaluate the product as it now is (gone: nothing to do)."""
        product = await self._registry.get(product_id)
        if product is not None:
            await self.certify(product)

    async def _due(self, product: RegisteredProduct) -> bool:
        """Never evaluated, or last evaluated more than an interval ago."""
        latest = await self.latest(product.id)
        return latest is None or latest.checked_at <= self._clock() - timedelta(
            seconds=self._interval
        )

    async def certify_all(self, *, due_only: bool = False) -> int:
        """One round over every registered product (``due_only``: only those not
        evaluated within the interval); how many were evaluated.

        ``concurrency`` workers take the products one after the other, so a registry of
        thousands never holds thousands of pending evaluations at once; a product that
        fails is logged and the round goes on."""
        products = await self._registry.list()
        queue = iter(products)
        done = 0

        async def worker() -> None:
            nonlocal done
            for product in queue:  # a shared iterator: each product goes to one worker
                try:
                    if due_only and not await self._due(product):
                        continue
                    await self.certify(product)
                    done += 1
                except Exception as exc:
                    log.error("certification of %s failed: %s", product.id, exc)

        await asyncio.gather(*(worker() for _ in range(min(self._workers, len(products)))))
        return done

    def start(self) -> None:
        """Start the schedule and follow the registry (neither when the interval is 0:
        on demand only)."""
        if self._interval > 0:
            self._registry.subscribe(self.follower)
            self._timer.start()

    async def close(self) -> None:
        self._registry.unsubscribe(self.follower)
        await self.follower.close()
        await self._timer.close()
        await self._election.close()
