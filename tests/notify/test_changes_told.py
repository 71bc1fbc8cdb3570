"""Contract and certification changes reach their subscribers, end to end: a product
re-registered with a new contract version (a breaking one published as a minor), then
certified again after a column lost its description (bronze lost), is told to a webhook
subscribed to those kinds, signed; the first state of each is the baseline, never told.
Real servers: product kits, the gateway and a webhook receiver under uvicorn."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import Mesh, start_mesh
from tests.graph.test_contract_versions import kit, product_folder, register
from tests.notify.receiver import Receiver
from tests.notify.webhook_setup import verifies

SUBSCRIBE = """mutation($p: ID!, $w: String!) {
  subscribe(product: $p, webhook: $w, kinds: [CONTRACT, CERTIFICATION]) { secret } }"""
CERTIFY = "mutation($p: ID!) { certifyProduct(product: $p) { status level } }"
NAME = "Told changes"


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[Mesh]:
    with start_mesh(
        tmp_path / "mesh", [], sql_data_roots=str(tmp_path),
        certification_interval_seconds=0.0,  # certified when the test asks
        notify_webhook_allowed_networks=LOOPBACK_ONLY, notify_webhook_backoff_seconds=0.05,
        notify_delivery_poll_seconds=0.2,
    ) as started:  # fmt: skip
        yield started


def told(receiver: Receiver, count: int, secret: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while len(receiver.requests("/olga")) < count:
        assert time.monotonic() < deadline, f"{count} deliveries: {receiver.requests()}"
        time.sleep(0.05)
    found = receiver.requests("/olga")
    assert all(verifies(secret, r.headers, r.body) for r in found)
    return [json.loads(r.body) for r in found]


def undescribe_a_column(folder: Path) -> None:
    """The folder's contract with its first column's description taken out."""
    (path,) = (folder / "contracts").glob("*.yaml")
    contract = yaml.safe_load(path.read_text())
    del contract["schema"][0]["properties"][0]["description"]
    path.write_text(yaml.safe_dump(contract, sort_keys=False))


def certify(mesh: Mesh, pid: str) -> dict[str, Any]:
    done = mesh.query(CERTIFY, {"p": pid})
    assert "errors" not in done, done
    result: dict[str, Any] = done["data"]["certifyProduct"]
    return result


def test_a_new_contract_version_and_a_certification_change_are_told(
    mesh: Mesh, tmp_path: Path
) -> None:
    assert mesh.issuer is not None
    v1, pid = product_folder(tmp_path, NAME, "1.0.0")
    v11, _ = product_folder(tmp_path, NAME, "1.1.0", drop_borough=True)
    v2, _ = product_folder(tmp_path, NAME, "2.0.0", drop_borough=True)
    undescribe_a_column(v2)
    receiver = Receiver()
    with running(receiver) as hook:
        with kit(v1) as base:
            assert register(mesh, base).status_code == 201
            made = mesh.query(
                SUBSCRIBE, {"p": pid, "w": f"{hook}/olga"},
                headers=mesh.issuer.headers("olga", ("reader",)),
            )  # fmt: skip
            assert "errors" not in made, made
            secret = made["data"]["subscribe"]["secret"]
            first = certify(mesh, pid)  # the baseline: not told
        with kit(v11) as base:  # the same product now publishes 1.1.0, breaking 1.0.0
            assert register(mesh, base).status_code == 201
            (contract,) = told(receiver, 1, secret)
            assert (contract["kind"], contract["productId"]) == ("contract", pid)
            cid = contract["data"]["added"][0].partition("@")[0]
            assert contract["data"]["added"] == [f"{cid}@1.1.0"]
            (flag,) = contract["data"]["flags"]
            assert (flag["from"], flag["to"], flag["requiredBump"]) == ("1.0.0", "1.1.0", "major")
            assert "without a major bump" in contract["summary"]
            assert certify(mesh, pid) == first  # the same verdict: nothing to tell
        with kit(v2) as base:  # 2.0.0 leaves a column undescribed: bronze is lost
            assert register(mesh, base).status_code == 201
            after = certify(mesh, pid)
            assert after != first
            contract2, certification = told(receiver, 3, secret)[1:]
    assert contract2["data"]["added"] == [f"{cid}@2.0.0"] and contract2["data"]["flags"] == []
    assert (certification["kind"], certification["productId"]) == ("certification", pid)
    assert certification["data"]["before"] == first
    assert certification["data"]["after"] == after
    assert len(receiver.requests("/olga")) == 3  # each change once, no baseline
