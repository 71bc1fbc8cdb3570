"""The deliverer: one task per gateway process sending stored webhook deliveries.

It claims due deliveries in the shared store (a lease: two processes never send the same
one), POSTs each signed event, and records the outcome: a 2xx answer delivers it; anything
else (an error status, a redirect, which is never followed, a timeout, a refused address)
is tried again after an exponential backoff, up to the most attempts, then ``failed``.
It wakes at once when this process stores a delivery and polls otherwise (deliveries of
other processes, retries). What is pending when the gateway stops is sent after it starts
again: the rows are in the database, and a lease held at stop is given back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from gateway.cancelled import stop_if_cancelled
from gateway.errors import UpstreamAddressRefused
from gateway.notify import signing
from gateway.notify.records import DELIVERED, FAILED, PENDING, Claimed, Outcome
from gateway.notify.store import NotifyStore
from gateway.notify.targets import WebhookInvalid, parse

log = logging.getLogger(__name__)

BATCH = 16
"""Deliveries claimed (and sent at once) per round."""
LEASE_MARGIN_SECONDS = 30.0
"""How long past the delivery timeout a claim is held: a process that died holding one
gives it up to the others after this."""
MAX_BACKOFF_SECONDS = 3600.0
"""The longest wait between two attempts."""


class Deliverer:
    """Sends the deliveries of ``store`` with ``client`` (a guarded client, no redirects)."""

    def __init__(
        self,
        store: NotifyStore,
        client: httpx.AsyncClient,
        *,
        max_attempts: int,
        backoff_seconds: float,
        timeout_seconds: float,
        poll_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._client = client
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._timeout = timeout_seconds
        self._poll = poll_seconds
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._held: dict[int, Claimed] = {}
        self._next_retry: datetime | None = None
        self.sent = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="webhook-deliverer")

    def wake(self) -> None:
        """A delivery was stored: look now rather than at the next poll."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                claimed = await self.round()
            except Exception:  # a database down for a while must not end the task
                log.exception("a webhook delivery round failed")
                claimed = 0
            stop_if_cancelled()
            if claimed == BATCH:
                continue  # more may be due
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._pause())
            stop_if_cancelled()  # wait_for may return as a close cancels it: no round

    def _pause(self) -> float:
        """Until the next poll, or sooner when a retry this process set falls due."""
        pause = self._poll
        if self._next_retry is not None:
            until = (self._next_retry - self._clock()).total_seconds()
            self._next_retry = None if until <= 0 else self._next_retry
            pause = max(0.0, min(pause, until))
        return pause

    async def round(self) -> int:
        """Claim a batch of due deliveries and send them; how many were claimed."""
        now = self._clock()
        lease = now + timedelta(seconds=self._timeout + LEASE_MARGIN_SECONDS)
        batch = await self._store.claim(now, lease, BATCH)
        for claimed in batch:
            self._held[claimed.delivery.id] = claimed
        # Cancelled (the gateway stops), what is held stays listed for close() to give back.
        await asyncio.gather(*(self._deliver(c) for c in batch))
        for claimed in batch:
            self._held.pop(claimed.delivery.id, None)
        return len(batch)

    async def _deliver(self, claimed: Claimed) -> None:
        status, error = await self._post(claimed)
        outcome = self._outcome(claimed, status, error)
        if outcome.status == PENDING:
            due = outcome.next_attempt_at
            self._next_retry = due if self._next_retry is None else min(self._next_retry, due)
        if outcome.status == DELIVERED:
            self.sent += 1
        if not await self._store.finish(claimed, outcome):
            log.warning("webhook delivery %s: its lease ran out while sending", claimed.delivery.id)

    async def _post(self, claimed: Claimed) -> tuple[int | None, str | None]:
        """The answer's status, or the reason there is none (short, naming no host)."""
        delivery = claimed.delivery
        body = json.dumps(delivery.event, separators=(",", ":")).encode()
        message_id = f"dlv_{delivery.id}"
        headers = signing.headers(claimed.secret, message_id, int(time.time()), body)
        headers["content-type"] = "application/json"
        try:
            parse(claimed.url)
            async with asyncio.timeout(self._timeout):
                request = self._client.build_request(
                    "POST", claimed.url, content=body, headers=headers
                )
                # The answer's body is never read: its status is all a delivery needs.
                response = await self._client.send(request, stream=True)
                await response.aclose()
        except WebhookInvalid:
            return None, "the webhook URL is not valid"
        except UpstreamAddressRefused:
            return None, "the webhook's address is not allowed"
        except (TimeoutError, httpx.TimeoutException):
            return None, f"no answer within {self._timeout:g} s"
        except httpx.HTTPError:
            return None, "could not connect or send"
        if 300 <= response.status_code < 400:
            return response.status_code, "redirect not followed"
        if not 200 <= response.status_code < 300:
            return response.status_code, f"HTTP {response.status_code}"
        return response.status_code, None

    def _outcome(self, claimed: Claimed, status: int | None, error: str | None) -> Outcome:
        now = self._clock()
        attempts = claimed.delivery.attempts + 1
        if error is None:
            return Outcome(DELIVERED, attempts, status, None, now, delivered_at=now)
        if attempts >= self._max_attempts:
            return Outcome(FAILED, attempts, status, error, now)
        wait = min(self._backoff * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
        return Outcome(PENDING, attempts, status, error, now + timedelta(seconds=wait))

    async def close(self) -> None:
        """Stop; deliveries being sent are given back (pending, due now) for the next start
        or another process."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for claimed in list(self._held.values()):
            d = claimed.delivery
            back = Outcome(PENDING, d.attempts, d.last_status, d.last_error, self._clock())
            with contextlib.suppress(Exception):
                await self._store.finish(claimed, back)
        self._held.clear()
