"""The kit keeps its own state across restarts: subscriptions (and their limits), the run
state, configure overrides; a state file it cannot use stops the start, naming it."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from productkit.kitstate import SCHEMA_VERSION, StateFileError
from productkit.settings import KitSettings
from tests.fixtures.uvicorn import running
from tests.product.builders import TABLE
from tests.product.conftest import auth
from tests.product.kits import kit_process, post_all, run_kit

SUBS = "/observe/events/subscriptions"
# Nothing listens on port 9 (discard): deliveries there fail at once.
DEAD_HOOK = "http://127.0.0.1:9/hook?token=hook-credential-5f2a"
STATE = Path(".state") / "kit.sqlite3"

# These tests are about the state file: their kits keep it on disk.
pytestmark = pytest.mark.usefixtures("kit_state_on_disk")


def _until(check: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_a_restarted_kit_is_as_it_was_left(
    product_dir: Path, make_app: Callable[..., Starlette]
) -> None:
    """Subscriptions (with their counters), pause and tags survive; a deleted one stays gone."""
    with running(make_app(product_dir)) as base, httpx.Client(base_url=base, timeout=10) as http:
        kept = http.post(SUBS, json={"endpoint": DEAD_HOOK, "events": ["product.stateChanged"]})
        gone = http.post(SUBS, json={"endpoint": "http://h.example/gone"})
        certify = {"endpoint": "http://h.example/c", "threshold": 0.5}
        watch = http.post("/certify/subscribe", json=certify)
        assert {kept.status_code, gone.status_code, watch.status_code} == {201}
        assert http.delete(f"{SUBS}/{gone.json()['id']}", headers=auth()).status_code == 200
        assert http.post("/control/pause", headers=auth()).json() == {"state": "paused"}
        tags = {"tags": ["ozone", "nyc"], "description": "Set at run time."}
        assert http.post("/control/configure", json=tags, headers=auth()).status_code == 200
        mine = {"Authorization": f"Bearer {kept.json()['secret']}"}
        _until(lambda: http.get(f"{SUBS}/{kept.json()['id']}", headers=mine).json()["failed"] == 1)

    with running(make_app(product_dir)) as base, httpx.Client(base_url=base, timeout=10) as http:
        listed = http.get(SUBS, headers=auth()).json()["subscriptions"]
        assert [s["id"] for s in listed] == [kept.json()["id"], watch.json()["id"]]
        assert listed[0]["endpoint"] == DEAD_HOOK
        assert listed[0]["events"] == ["product.stateChanged"]
        assert (listed[0]["failed"], listed[0]["lastError"]) == (1, "not delivered")
        assert listed[1]["threshold"] == 0.5
        # The secret shown at creation still works; the deleted one's does not.
        assert http.get(f"{SUBS}/{kept.json()['id']}", headers=mine).status_code == 200
        theirs = {"Authorization": f"Bearer {gone.json()['secret']}"}
        assert http.get(SUBS, headers=theirs).json()["error"]["code"] == "FORBIDDEN"
        meta = http.get("/discover/metadata").json()
        assert (meta["state"], meta["tags"], meta["description"]) == (
            "paused", ["ozone", "nyc"], "Set at run time."
        )  # fmt: skip
        refused = http.get(f"/consume/{TABLE}")
        assert (refused.status_code, refused.json()["error"]["code"]) == (503, "PRODUCT_PAUSED")
        assert http.post("/control/stop", headers=auth()).json() == {"state": "stopped"}

    with running(make_app(product_dir)) as base, httpx.Client(base_url=base, timeout=10) as http:
        assert http.get("/discover/metadata").json()["state"] == "stopped"


def test_the_limits_hold_across_a_restart(
    product_dir: Path, make_app: Callable[..., Starlette]
) -> None:
    capped = KitSettings(max_subscriptions=2, subscriptions_per_minute=100)
    with running(make_app(product_dir, settings=capped)) as base:
        made = [httpx.post(base + SUBS, json={"endpoint": f"http://h.example/{i}"}) for i in (1, 2)]
        assert [m.status_code for m in made] == [201, 201]
    with running(make_app(product_dir, settings=capped)) as base:
        third = httpx.post(base + SUBS, json={"endpoint": "http://h.example/3"})
        assert (third.status_code, third.json()["error"]["code"]) == (409, "TOO_MANY_SUBSCRIPTIONS")

    slow = KitSettings(max_subscriptions=100, subscriptions_per_minute=3, state_path="rate.db")
    with running(make_app(product_dir, settings=slow)) as base:
        made = [
            httpx.post(base + SUBS, json={"endpoint": f"http://h.example/{i}"}) for i in (1, 2, 3)
        ]
        assert [m.status_code for m in made] == [201, 201, 201]
    with running(make_app(product_dir, settings=slow)) as base:
        fourth = httpx.post(base + SUBS, json={"endpoint": "http://h.example/4"})
        assert (fourth.status_code, fourth.json()["error"]["code"]) == (429, "RATE_LIMITED")
        assert 1 <= int(fourth.headers["Retry-After"]) <= 60


def test_the_state_file_keeps_digests_not_secrets_and_only_its_owner_reads_it(
    product_dir: Path, make_app: Callable[..., Starlette]
) -> None:
    with running(make_app(product_dir)) as base:
        made = httpx.post(base + SUBS, json={"endpoint": "http://h.example/1"}).json()
    file = product_dir / STATE
    stored = b"".join(p.read_bytes() for p in file.parent.iterdir())
    assert made["secret"].encode() not in stored
    with sqlite3.connect(file) as db:
        (digest,) = db.execute("SELECT secret_sha256 FROM subscriptions").fetchone()
    assert digest == hashlib.sha256(made["secret"].encode()).hexdigest()
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700


def test_memory_keeps_nothing_on_disk(
    product_dir: Path, make_app: Callable[..., Starlette]
) -> None:
    in_memory = KitSettings(state_path=":memory:")
    with running(make_app(product_dir, settings=in_memory)) as base:
        assert httpx.post(base + "/control/pause", headers=auth()).status_code == 200
    with running(make_app(product_dir, settings=in_memory)) as base:
        assert httpx.get(base + "/discover/metadata").json()["state"] == "running"
    assert not (product_dir / ".state").exists()


def _garbage(file: Path) -> None:
    file.write_bytes(b"not a database, just bytes\n" * 100)


def _newer(file: Path) -> None:
    with sqlite3.connect(file) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 7}")


@pytest.mark.parametrize(
    ("spoil", "said"),
    [
        (_garbage, "is not a kit state file"),
        (_newer, f"has schema version {SCHEMA_VERSION + 7}, newer than this kit's"),
    ],
)
def test_a_state_file_the_kit_cannot_use_stops_the_start_naming_it(
    product_dir: Path, spoil: Callable[[Path], None], said: str
) -> None:
    """Exit 1 before listening, the file named as set, no traceback; the file is untouched."""
    file = product_dir / STATE
    file.parent.mkdir()
    spoil(file)
    before = file.read_bytes()
    done = run_kit(product_dir)
    assert done.returncode == 1, done.stderr
    assert f"the kit's state file {STATE} {said}" in done.stderr
    assert "Traceback" not in done.stderr
    assert file.read_bytes() == before


def test_an_unwritable_state_path_stops_the_start(
    product_dir: Path, make_app: Callable[..., Starlette]
) -> None:
    (product_dir / "blocker").write_text("a file, not a folder")
    settings = KitSettings(state_path="blocker/kit.sqlite3")
    with pytest.raises(StateFileError) as caught:
        make_app(product_dir, settings=settings)
    assert "state file blocker/kit.sqlite3 cannot be opened" in caught.value.message
    assert str(product_dir) not in caught.value.message


def test_two_kit_processes_share_one_state_file_and_its_cap(product_dir: Path) -> None:
    """Both serve; creations race; the cap holds over both and the file stays sound."""
    with (product_dir / "product.env").open("a") as env:
        env.write("\nMESHGATE_PRODUCT_MAX_SUBSCRIPTIONS=12\n")
        env.write("MESHGATE_PRODUCT_SUBSCRIPTIONS_PER_MINUTE=1000\n")
    with kit_process(product_dir) as one, kit_process(product_dir) as two:
        statuses = post_all([one, two], SUBS, 15)
    assert sorted(statuses) == [201] * 12 + [409] * 18
    with sqlite3.connect(product_dir / STATE) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT COUNT(*) FROM subscriptions").fetchone() == (12,)


def test_no_caller_can_move_the_state_file(
    product_dir: Path, make_app: Callable[..., Starlette], tmp_path: Path
) -> None:
    """Only the operator's setting places it: request bodies naming a path are refused."""
    elsewhere = tmp_path / "elsewhere.sqlite3"
    with running(make_app(product_dir)) as base:
        for body in ({"statePath": str(elsewhere)}, {"tags": ["x"], "state_path": str(elsewhere)}):
            answer = httpx.post(base + "/control/configure", json=body, headers=auth())
            assert answer.status_code == 400
        body = {"endpoint": "http://h.example/1", "statePath": str(elsewhere)}
        made = httpx.post(base + SUBS, json=body)
        assert made.status_code == 201
    assert not elsewhere.exists()
    assert (product_dir / STATE).exists()


def test_a_failed_delivery_logs_neither_url_nor_secret(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    made = client.post(SUBS, json={"endpoint": DEAD_HOOK}).json()
    mine = {"Authorization": f"Bearer {made['secret']}"}
    assert client.post("/control/pause", headers=auth()).status_code == 200
    _until(lambda: client.get(f"{SUBS}/{made['id']}", headers=mine).json()["failed"] == 1)
    logged = caplog.text
    assert made["id"] in logged  # the failure is logged, by the subscription's id
    for secret in ("hook-credential-5f2a", "127.0.0.1:9", made["secret"]):
        assert secret not in logged
