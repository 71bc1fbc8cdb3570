"""Issue 9's second "done when", whole: a demo product made to breach its contract (late
data, a quality rule failing, its gateway stopped) changes its health within one refresh
interval, the change is pushed to a WebSocket subscriber and delivered to a webhook of
each subscriber downstream, and it shows in ``meshHealth``.

Everything is real: the demo product kits under uvicorn (the US product on a copy of its
data, so the test can age or spoil it), the gateway refreshing health in the background,
the reference ``graphql-ws`` client, a webhook receiver on loopback. The breaches are made
the way they happen: the files' modification time (the kit's ``lastUpdated``) set ten days
back against a promised latency of three; a station list holding a state the contract's
``invalidValues`` rule does not allow; a product gateway process stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import DEMO, Mesh, start_mesh
from tests.graph.test_breach import counts, key, mesh_health
from tests.live.subscriber import EVENTS, Subscriber, event_of
from tests.notify.receiver import Receiver
from tests.notify.webhook_setup import verifies

ROOT = Path(__file__).resolve().parents[2]
REFRESH = 2.0  # health_refresh_seconds of this test's gateway
DEADLINE = 5.0  # health_deadline_seconds: one product's check (results computed live)
SLACK = 4.0  # a loaded machine's delays (scheduling, webhook delivery, the polls below)
BOUND = REFRESH + DEADLINE + SLACK  # the next refresh, its own time, and the telling

US, FRANCE, GLOBAL = "us-precipitation", "france-precipitation", "global-precipitation"
FLOOD, RISK, DISCLOSURE = "flood-areas", "physical-risk", "disclosure-reporting"
FOLDERS = (FRANCE, GLOBAL, FLOOD, RISK, DISCLOSURE)  # the US product comes from a copy

#: Who subscribes a webhook to which product: the US product's own subscriber, two
#: subscribers of the product downstream of it, one of an unrelated product, and the
#: subscribers of the two products downstream of flood areas (one of them two hops away).
WEBHOOKS = {
    "dave": US, "carol": GLOBAL, "gus": GLOBAL, "erin": FRANCE, "pia": RISK, "dora": DISCLOSURE,
}  # fmt: skip

SUBSCRIBE = """mutation($p: ID!, $w: String!) {
  subscribe(product: $p, webhook: $w, kinds: [HEALTH]) { secret } }"""
HEALTH = """query($id: ID!) { product(id: $id) { health { status reasons { code } } } }"""


def us_copy(tmp: Path) -> Path:
    """The US product's folder with its data copied beside it (its contract's local server
    pointed at the copy), so the test may change the data it serves."""
    data = tmp / "us-data"
    shutil.copytree(ROOT / "demo" / "data" / US, data)
    folder = tmp / US
    shutil.copytree(DEMO / US, folder)
    for contract in (folder / "contracts").glob("*.yaml"):
        text = contract.read_text()
        assert f"path: demo/data/{US}/" in text
        contract.write_text(text.replace(f"path: demo/data/{US}/", f"path: {data}/"))
    return data


def age(data: Path, days: float) -> None:
    """Every data file last modified ``days`` ago (0: now)."""
    moment = time.time() - days * 86400
    for file in data.rglob("*.parquet"):
        os.utime(file, (moment, moment))


def spoil_a_state(data: Path) -> None:
    """One station of the station list moved to a state the contract does not allow."""
    path = data / "us_stations.parquet"
    table = pq.read_table(path)
    states = table.column("state_code").to_pylist()
    assert "ZZ" not in states
    states[0] = "ZZ"
    position = table.schema.get_field_index("state_code")
    pq.write_table(table.set_column(position, "state_code", [states]), path)


def wait(check: Callable[[], Any], what: str, within: float) -> float:
    """Seconds until ``check()`` is true; fails past ``within``."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within, f"{what}: not within {within:g} s"
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[tuple[Mesh, Path]]:
    data = us_copy(tmp_path)
    fresh = {"probe_ttl": 0.0, "results_ttl": 0.0}  # the kit measures on every ask
    with start_mesh(
        tmp_path / "gateway", [tmp_path / US, *(DEMO / f for f in FOLDERS)],
        kits={US: fresh},
        health_refresh_seconds=REFRESH, health_deadline_seconds=DEADLINE,
        notify_webhook_allowed_networks=LOOPBACK_ONLY, notify_webhook_backoff_seconds=0.05,
        notify_delivery_poll_seconds=0.2,
    ) as started:  # fmt: skip
        yield started, data


def test_a_breach_is_judged_pushed_delivered_downstream_and_summed_up(
    mesh: tuple[Mesh, Path],
) -> None:
    gateway, data = mesh
    assert gateway.issuer is not None
    ids = {
        name: gateway.query(f'{{ product(id: "{key(name)}") {{ id }} }}')["data"]["product"]["id"]
        for name in (US, *FOLDERS)
    }
    wait(lambda: counts(mesh_health(gateway)) == {"UP": 6}, "every product UP first", 30)

    receiver = Receiver()
    with running(receiver) as hook:
        secrets = {}
        for who, product in WEBHOOKS.items():
            made = gateway.query(
                SUBSCRIBE, {"p": ids[product], "w": f"{hook}/{who}"},
                headers=gateway.issuer.headers(who, ("reader",)),
            )  # fmt: skip
            assert "errors" not in made, made
            secrets[who] = made["data"]["subscribe"]["secret"]
        token = gateway.issuer.headers("wendy", ("reader",))["Authorization"]
        with (
            Subscriber(gateway.gateway, query=EVENTS, header=token,
                       variables={"products": [ids[US]], "kinds": ["HEALTH"]}) as on_us,
            Subscriber(gateway.gateway, query=EVENTS, header=token,
                       variables={"products": [ids[RISK]], "kinds": ["HEALTH"]}) as on_risk,
        ):  # fmt: skip
            on_us.expect("ack")
            on_risk.expect("ack")

            def told(who: str, count: int) -> list[dict[str, Any]]:
                """The events delivered to ``who`` once there are ``count``, each signed."""
                wait(lambda: len(receiver.requests(f"/{who}")) >= count, f"{who} told", BOUND)
                found = receiver.requests(f"/{who}")
                assert all(verifies(secrets[who], r.headers, r.body) for r in found)
                return [json.loads(r.body) for r in found]

            def breach(expected: str, reason: str, product: str = US) -> dict[str, Any]:
                """The health of ``product`` is ``expected`` with ``reason`` within one
                refresh interval; its meshHealth worst offender says so."""

                def judged() -> bool:
                    health = gateway.query(HEALTH, {"id": ids[product]})["data"]["product"]
                    codes = [r["code"] for r in health["health"]["reasons"]]
                    return bool(health["health"]["status"] == expected and reason in codes)

                wait(judged, f"{product} {expected} with {reason}", BOUND)
                summary = mesh_health(gateway)
                offender = summary["worstOffenders"][0]
                assert (offender["productKey"], offender["status"]) == (key(product), expected)
                assert reason in [r["code"] for r in offender["reasons"]]
                return summary

            # 1. Late data: the US files ten days old against a latency of three days.
            age(data, days=10)
            summary = breach("DEGRADED", "LATE_DATA")
            assert counts(summary) == {"UP": 5, "DEGRADED": 1}
            pushed = event_of(on_us.expect("next", timeout=BOUND))
            assert (pushed["kind"], pushed["productId"]) == ("HEALTH", ids[US])
            assert (pushed["data"]["before"], pushed["data"]["after"]) == ("UP", "DEGRADED")
            assert "LATE_DATA" in pushed["data"]["reasons"]
            for who in ("dave", "carol", "gus"):  # the product's own and both downstream
                (event,) = told(who, 1)
                assert (event["id"], event["data"]["after"]) == (pushed["id"], "DEGRADED")

            # Fresh again: UP; the recovery is told to the product's own subscribers only.
            age(data, days=0)
            wait(lambda: counts(mesh_health(gateway)) == {"UP": 6}, "US UP again", BOUND)
            back = event_of(on_us.expect("next", timeout=BOUND))
            assert (back["data"]["before"], back["data"]["after"]) == ("DEGRADED", "UP")
            assert told("dave", 2)[1]["data"]["after"] == "UP"

            # 2. A quality rule failing: a station in a state the contract does not allow.
            spoil_a_state(data)
            summary = breach("DEGRADED", "QUALITY_RULE_FAILED")
            pushed = event_of(on_us.expect("next", timeout=BOUND))
            assert "QUALITY_RULE_FAILED" in pushed["data"]["reasons"]
            for who in ("carol", "gus"):
                assert [e["data"]["after"] for e in told(who, 2)] == ["DEGRADED", "DEGRADED"]

            # 3. A product gateway stopped: flood areas DOWN; its downstream, one and two
            # hops away, told by webhook, and the WebSocket subscriber of physical risk
            # (upstream: true by default) hears its source go down.
            gateway.stop(FLOOD)
            summary = breach("DOWN", "UNREACHABLE", FLOOD)
            assert counts(summary) == {"UP": 4, "DEGRADED": 1, "DOWN": 1}
            pushed = event_of(on_risk.expect("next", timeout=BOUND))
            assert (pushed["productId"], pushed["upstreamOf"]) == (ids[FLOOD], [ids[RISK]])
            assert pushed["data"]["after"] == "DOWN"
            for who in ("pia", "dora"):
                (event,) = told(who, 1)
                assert (event["productId"], event["data"]["after"]) == (ids[FLOOD], "DOWN")

            # Nobody else heard anything: France's subscriber, and US ones of flood areas.
            assert receiver.requests("/erin") == []
            assert len(receiver.requests("/carol")) == 2
