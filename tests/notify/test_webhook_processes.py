"""Two gateway processes (two Services) on one PostgreSQL database: each delivery is sent
once, whichever process stored it, and a health change both processes see is told once
(the stored ledger), so a subscriber hears it once."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from gateway.notify import HEALTH
from gateway.services import close_services
from productkit.http.app import create_product_app
from tests.fixtures.uvicorn import running
from tests.fixtures.waiting import until
from tests.graph.conftest import DEMO
from tests.notify.receiver import Receiver
from tests.notify.webhook_setup import ALICE, event, open_gateway, webhooks

pytestmark = pytest.mark.services


async def test_two_processes_send_each_delivery_once(fresh_postgres_dsn: str) -> None:
    receiver = Receiver()
    app = create_product_app(DEMO / "us-precipitation", token="t", env={})
    with running(app) as kit, running(receiver) as hook:
        one = await open_gateway(fresh_postgres_dsn)
        two = await open_gateway(fresh_postgres_dsn)
        try:
            product = await one.registry.register(f"{kit}/discover/metadata")
            await webhooks(one).subscribe(ALICE, product, f"{hook}/in", None)
            told = [event(product.id, n=n) for n in range(30)]
            await asyncio.gather(
                *(s.notifier.publish(e) for s, e in zip((one, two) * 15, told, strict=True))
            )
            await until(lambda: len(receiver.requests()) >= 30, "30 deliveries", timeout=30)
            await asyncio.sleep(0.6)  # past both deliverers' polls: no duplicate comes late
            got = receiver.requests()
            assert len(got) == 30
            assert sorted(json.loads(r.body)["data"]["n"] for r in got) == list(range(30))
            assert len({r.headers["webhook-id"] for r in got}) == 30
            sent = [one.webhooks.deliverer.sent, two.webhooks.deliverer.sent]  # type: ignore[union-attr]
            assert sum(sent) == 30
        finally:
            await close_services(two)
            await close_services(one)


async def test_a_change_both_processes_see_is_told_once(fresh_postgres_dsn: str) -> None:
    receiver = Receiver()
    app = create_product_app(DEMO / "us-precipitation", token="t", env={})
    with running(app) as kit, running(receiver) as hook:
        one = await open_gateway(fresh_postgres_dsn)
        two = await open_gateway(fresh_postgres_dsn)
        try:
            product = await one.registry.register(f"{kit}/discover/metadata")
            await webhooks(two).subscribe(ALICE, product, f"{hook}/in", [HEALTH])
            await asyncio.gather(one.health.refresh(), two.health.refresh())  # baseline UP
            async with httpx.AsyncClient() as http:
                answer = await http.post(
                    f"{kit}/control/pause", headers={"authorization": "Bearer t"}
                )
                answer.raise_for_status()
            await asyncio.gather(one.health.refresh(), two.health.refresh())  # both see PAUSED
            await until(lambda: len(receiver.requests()) >= 1, "the change told", timeout=15)
            await asyncio.sleep(0.6)
            [got] = receiver.requests()
            body = json.loads(got.body)
            assert (body["kind"], body["data"]["before"], body["data"]["after"]) == (
                HEALTH, "UP", "PAUSED",
            )  # fmt: skip
        finally:
            await close_services(two)
            await close_services(one)
