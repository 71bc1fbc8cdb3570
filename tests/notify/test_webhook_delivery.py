"""Webhook deliveries against a real receiver under uvicorn, through the gateway's real
services (SQLite): signed, retried with backoff, failed after the most attempts, never
following a redirect, surviving a restart, and owner-only for issues and ratings."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from gateway.identity import Principal
from gateway.notify import HEALTH, ISSUE, RATING
from gateway.notify.records import DELIVERED, FAILED, PENDING
from gateway.services import close_services
from productkit.http.app import create_product_app
from tests.fixtures.uvicorn import running
from tests.fixtures.waiting import until, until_awaited
from tests.graph.conftest import DEMO
from tests.notify.receiver import Receiver
from tests.notify.webhook_setup import (
    ALICE,
    documented_verify,
    event,
    log_of,
    open_gateway,
    verifies,
    webhooks,
)

KIT = DEMO / "us-precipitation"


def _kit() -> running:  # type: ignore[valid-type]
    return running(create_product_app(KIT, token="t", env={}))


async def test_a_delivery_is_the_event_signed_with_the_subscription_secret(tmp_path: Path) -> None:
    receiver = Receiver()
    with _kit() as kit, running(receiver) as hook:
        services = await open_gateway(f"sqlite:///{tmp_path / 'r.db'}")
        try:
            product = await services.registry.register(f"{kit}/discover/metadata")
            sub = await webhooks(services).subscribe(ALICE, product, f"{hook}/in", None)
            told = event(product.id, before="UP", after="DOWN")
            await services.notifier.publish(told)
            await until(lambda: len(receiver.requests("/in")) == 1, "a delivery")
            [got] = receiver.requests("/in")
            assert json.loads(got.body) == told.to_json()
            assert got.headers["content-type"] == "application/json"
            assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
            assert verifies(sub.secret, got.headers, got.body)
            other = await webhooks(services).subscribe(ALICE, product, f"{hook}/other", None)
            assert not verifies(other.secret, got.headers, got.body)
            assert not verifies(sub.secret, got.headers, got.body + b" ")
            verify = documented_verify()  # the docs' snippet agrees
            assert verify(sub.secret, got.headers, got.body)
            assert not verify(other.secret, got.headers, got.body)
            [logged] = await log_of(services, sub)
            assert got.headers["webhook-id"] == f"dlv_{logged.id}"
            assert (logged.status, logged.attempts, logged.last_status) == (DELIVERED, 1, 204)
        finally:
            await close_services(services)


async def test_a_delivery_answered_500_is_retried_then_delivered(tmp_path: Path) -> None:
    receiver = Receiver([500, 503, 200])
    with _kit() as kit, running(receiver) as hook:
        services = await open_gateway(f"sqlite:///{tmp_path / 'r.db'}")
        try:
            product = await services.registry.register(f"{kit}/discover/metadata")
            sub = await webhooks(services).subscribe(ALICE, product, f"{hook}/in", [HEALTH])
            await services.notifier.publish(event(product.id))

            async def delivered() -> bool:
                return [d.status for d in await log_of(services, sub)] == [DELIVERED]

            await until_awaited(delivered, "the third attempt to deliver")
            got = receiver.requests("/in")
            assert len(got) == 3
            assert len({r.headers["webhook-id"] for r in got}) == 1  # one idempotency key
            [logged] = await log_of(services, sub)
            assert (logged.attempts, logged.last_status, logged.last_error) == (3, 200, None)
        finally:
            await close_services(services)


async def test_a_delivery_fails_after_the_most_attempts_and_the_log_says_why(
    tmp_path: Path,
) -> None:
    receiver = Receiver([500])
    with _kit() as kit, running(receiver) as hook:
        services = await open_gateway(
            f"sqlite:///{tmp_path / 'r.db'}", notify_webhook_max_attempts=3
        )
        try:
            product = await services.registry.register(f"{kit}/discover/metadata")
            sub = await webhooks(services).subscribe(ALICE, product, f"{hook}/in", None)
            await services.notifier.publish(event(product.id))

            async def failed() -> bool:
                return [d.status for d in await log_of(services, sub)] == [FAILED]

            await until_awaited(failed, "the delivery to fail")
            [logged] = await log_of(services, sub)
            assert (logged.attempts, logged.last_status, logged.last_error) == (3, 500, "HTTP 500")
            assert len(receiver.requests("/in")) == 3  # no fourth attempt
        finally:
            await close_services(services)


async def test_a_redirect_is_not_followed(tmp_path: Path) -> None:
    receiver = Receiver([302])
    with _kit() as kit, running(receiver) as hook:
        services = await open_gateway(
            f"sqlite:///{tmp_path / 'r.db'}", notify_webhook_max_attempts=1
        )
        try:
            product = await services.registry.register(f"{kit}/discover/metadata")
            sub = await webhooks(services).subscribe(ALICE, product, f"{hook}/in", None)
            await services.notifier.publish(event(product.id))

            async def failed() -> bool:
                return [d.status for d in await log_of(services, sub)] == [FAILED]

            await until_awaited(failed, "the redirected delivery to fail")
            [logged] = await log_of(services, sub)
            assert (logged.last_status, logged.last_error) == (302, "redirect not followed")
            assert receiver.requests("/moved") == []
        finally:
            await close_services(services)


async def test_pending_deliveries_are_sent_after_a_restart(tmp_path: Path) -> None:
    receiver = Receiver()
    db = f"sqlite:///{tmp_path / 'r.db'}"
    with _kit() as kit:
        with running(receiver) as hook:
            port = int(hook.rsplit(":", 1)[1])
        # The receiver is down now: attempts fail, the delivery stays pending.
        services = await open_gateway(db, notify_webhook_backoff_seconds=0.2)
        try:
            product = await services.registry.register(f"{kit}/discover/metadata")
            sub = await webhooks(services).subscribe(ALICE, product, f"{hook}/in", None)
            await services.notifier.publish(event(product.id))

            async def tried() -> bool:
                found = await log_of(services, sub)
                return bool(found) and found[0].attempts >= 1

            await until_awaited(tried, "a failed attempt")
            [logged] = await log_of(services, sub)
            assert logged.status == PENDING and logged.last_error == "could not connect or send"
        finally:
            await close_services(services)
        with running(receiver, port=port):
            services = await open_gateway(db, notify_webhook_backoff_seconds=0.2)
            try:

                async def delivered() -> bool:
                    return [d.status for d in await log_of(services, sub)] == [DELIVERED]

                await until_awaited(delivered, "the delivery after the restart", timeout=20)
                assert len(receiver.requests("/in")) == 1
            finally:
                await close_services(services)


async def test_issues_and_ratings_go_to_the_owners_subscriptions_only(tmp_path: Path) -> None:
    receiver = Receiver()
    with _kit() as kit, running(receiver) as hook:
        services = await open_gateway(f"sqlite:///{tmp_path / 'r.db'}")
        try:
            product = await services.registry.register(f"{kit}/discover/metadata")
            owner = Principal("olga", roles=frozenset({f"owner:{product.domain}"}))
            hooks = webhooks(services)
            mine = await hooks.subscribe(owner, product, f"{hook}/owner", None)
            theirs = await hooks.subscribe(ALICE, product, f"{hook}/consumer", None)
            assert mine.owner and not theirs.owner
            for kind in (ISSUE, RATING, HEALTH):
                await services.notifier.publish(event(product.id, kind))
            await until(lambda: len(receiver.requests()) == 4, "four deliveries")
            kinds = {
                path: sorted(json.loads(r.body)["kind"] for r in receiver.requests(path))
                for path in ("/owner", "/consumer")
            }
            assert kinds == {"/owner": [HEALTH, ISSUE, RATING], "/consumer": [HEALTH]}
        finally:
            await close_services(services)


async def test_every_delivery_checks_the_address_again(tmp_path: Path) -> None:
    """A webhook allowed when subscribing is refused at delivery once the operator's
    policy no longer allows its address (as when its name resolves elsewhere later)."""
    receiver = Receiver()
    db = f"sqlite:///{tmp_path / 'r.db'}"
    with _kit() as kit, running(receiver) as hook:
        services = await open_gateway(db)
        try:
            product = await services.registry.register(f"{kit}/discover/metadata")
            sub = await webhooks(services).subscribe(ALICE, product, f"{hook}/in", None)
        finally:
            await close_services(services)
        services = await open_gateway(
            db, notify_webhook_allowed_networks="", notify_webhook_max_attempts=1
        )
        try:
            await services.notifier.publish(event(product.id))

            async def failed() -> bool:
                return [d.status for d in await log_of(services, sub)] == [FAILED]

            await until_awaited(failed, "the refused delivery")
            [logged] = await log_of(services, sub)
            assert logged.last_error == "the webhook's address is not allowed"
            assert "127.0.0.1" not in (logged.last_error or "")
            assert receiver.requests() == []
        finally:
            await close_services(services)


async def test_a_slow_receiver_is_an_attempt_that_timed_out(tmp_path: Path) -> None:
    receiver = Receiver(delay=5.0)
    with _kit() as kit, running(receiver) as hook:
        services = await open_gateway(
            f"sqlite:///{tmp_path / 'r.db'}", notify_webhook_max_attempts=1,
            notify_webhook_timeout_seconds=0.5,
        )  # fmt: skip
        try:
            product = await services.registry.register(f"{kit}/discover/metadata")
            sub = await webhooks(services).subscribe(ALICE, product, f"{hook}/in", None)
            started = time.monotonic()
            await services.notifier.publish(event(product.id))

            async def failed() -> bool:
                return [d.status for d in await log_of(services, sub)] == [FAILED]

            await until_awaited(failed, "the slow delivery to fail")
            assert time.monotonic() - started < 4.0  # not the receiver's 5 s
            [logged] = await log_of(services, sub)
            assert (logged.last_status, logged.last_error) == (None, "no answer within 0.5 s")
            receiver.delay = 0.0  # let the receiver stop at once
        finally:
            await close_services(services)


async def test_a_delivery_under_way_at_stop_is_given_back_and_sent_after(tmp_path: Path) -> None:
    receiver = Receiver(delay=30.0)  # the stop comes while the receiver still thinks
    db = tmp_path / "r.db"
    with _kit() as kit, running(receiver) as hook:
        services = await open_gateway(f"sqlite:///{db}", notify_webhook_timeout_seconds=20.0)
        try:
            product = await services.registry.register(f"{kit}/discover/metadata")
            sub = await webhooks(services).subscribe(ALICE, product, f"{hook}/in", None)
            await services.notifier.publish(event(product.id))
            await until(lambda: len(receiver.requests()) == 1, "the attempt under way")
        finally:
            await close_services(services)
        with sqlite3.connect(db) as conn:
            row = conn.execute(
                "SELECT status, attempts, claimed_until FROM webhook_deliveries"
            ).fetchone()
        assert row == (PENDING, 0, None)  # not held for the lease's 50 s
        receiver.delay = 0.0
        services = await open_gateway(f"sqlite:///{db}")
        try:

            async def delivered() -> bool:
                return [d.status for d in await log_of(services, sub)] == [DELIVERED]

            await until_awaited(delivered, "the delivery after the restart")
        finally:
            await close_services(services)
