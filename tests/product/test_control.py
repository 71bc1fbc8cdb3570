"""control and consume: bearer token, pause / stop, configure, pages of rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.product.builders import ROWS, TABLE
from tests.product.conftest import auth

# Each action from a running product, and the state it must leave (written by hand from
# the documented moves; configure changes no state).
ACTIONS = {
    "start": "running",
    "stop": "stopped",
    "pause": "paused",
    "resume": "running",
    "configure": "running",
}


@pytest.mark.parametrize(("action", "state"), ACTIONS.items())
def test_control_needs_the_bearer_token(client: httpx.Client, action: str, state: str) -> None:
    assert client.get("/discover/metadata").json()["state"] == "running"
    missing = client.post(f"/control/{action}", json={})
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "UNAUTHORIZED"
    assert missing.headers["www-authenticate"] == "Bearer"
    basic = client.post(f"/control/{action}", json={}, headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401
    wrong = client.post(f"/control/{action}", json={}, headers=auth("not-the-token"))
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "FORBIDDEN"
    assert client.get("/discover/metadata").json()["state"] == "running"  # refused: no move
    right = client.post(f"/control/{action}", json={}, headers=auth())
    assert right.status_code == 200
    assert right.json()["state"] == state
    assert client.get("/discover/metadata").json()["state"] == state


def test_pause_stops_serving_data_until_resume(client: httpx.Client) -> None:
    assert client.get(f"/consume/{TABLE}").status_code == 200
    assert client.post("/control/pause", headers=auth()).json() == {"state": "paused"}
    paused = client.get(f"/consume/{TABLE}")
    assert paused.status_code == 503
    assert paused.json()["error"]["code"] == "PRODUCT_PAUSED"
    health = client.get("/observe/health").json()
    assert (health["status"], health["state"]) == ("PAUSED", "paused")
    assert health["tables"][0]["rowCount"] == len(ROWS)  # still observed while paused
    assert client.get("/discover/metadata").json()["state"] == "paused"
    assert client.get("/discover/artifacts").status_code == 200
    assert client.post("/control/resume", headers=auth()).json() == {"state": "running"}
    assert client.get(f"/consume/{TABLE}").status_code == 200
    assert client.get("/observe/health").json()["status"] == "UP"


def test_stop_and_start(client: httpx.Client) -> None:
    assert client.post("/control/stop", headers=auth()).json() == {"state": "stopped"}
    stopped = client.get(f"/consume/{TABLE}")
    assert (stopped.status_code, stopped.json()["error"]["code"]) == (503, "PRODUCT_STOPPED")
    assert client.get("/observe/health").json()["status"] == "STOPPED"
    for action in ("pause", "resume"):
        refused = client.post(f"/control/{action}", headers=auth())
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "INVALID_STATE")
    assert client.post("/control/start", headers=auth()).json() == {"state": "running"}
    assert client.get(f"/consume/{TABLE}").status_code == 200


def test_configure_changes_the_served_metadata(client: httpx.Client) -> None:
    answer = client.post(
        "/control/configure",
        json={"description": "Now with a better story.", "tags": ["air", "nyc", "air"]},
        headers=auth(),
    )
    assert answer.status_code == 200
    assert answer.json() == {
        "state": "running", "description": "Now with a better story.", "tags": ["air", "nyc"],
    }  # fmt: skip
    meta = client.get("/discover/metadata").json()
    assert (meta["description"], meta["tags"]) == ("Now with a better story.", ["air", "nyc"])
    only_tags = client.post("/control/configure", json={"tags": []}, headers=auth()).json()
    assert only_tags["description"] == "Now with a better story." and only_tags["tags"] == []


@pytest.mark.parametrize(
    "body",
    [{"tags": "air"}, {"description": 3}, {"owner": "me"}, {"tags": [""]}, [1, 2]],
)
def test_configure_refuses_bad_bodies(client: httpx.Client, body: Any) -> None:
    answer = client.post("/control/configure", json=body, headers=auth())
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "BAD_REQUEST")


def test_configure_refuses_text_that_is_not_json(client: httpx.Client) -> None:
    answer = client.post("/control/configure", content=b"{nope", headers=auth())
    assert answer.status_code == 400


def test_consume_pages_rows_in_key_order(client: httpx.Client) -> None:
    page = client.get(f"/consume/{TABLE}", params={"limit": 2, "offset": 1}).json()
    assert page["columns"] == ["unique_id", "name", "data_value", "borough", "observed_at"]
    assert [r[0] for r in page["rows"]] == [100002, 100003]
    assert page["rows"][0][3] is None
    assert page["rows"][1][4] == ROWS[2]["observed_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
    everything = client.get(f"/consume/{TABLE}").json()
    assert [r[0] for r in everything["rows"]] == sorted(r["unique_id"] for r in ROWS)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 10001}, {"limit": "x"}, {"offset": -1}])
def test_consume_refuses_bad_pages(client: httpx.Client, params: dict[str, Any]) -> None:
    answer = client.get(f"/consume/{TABLE}", params=params)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "BAD_REQUEST")


def test_consume_unknown_table_is_a_404(client: httpx.Client) -> None:
    assert client.get("/consume/nope").status_code == 404


def test_token_from_the_environment_or_generated(
    product_dir: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> None:
    from_env = make_app(product_dir, token=None, env={"MESHGATE_PRODUCT_TOKEN": "from-env"})
    assert from_env.state.product.token == "from-env"
    assert from_env.state.product.token_generated is False
    generated = make_app(product_dir, token=None, env={})
    product = generated.state.product
    assert product.token_generated is True and len(product.token) >= 24
    base = serve_app(generated)
    assert httpx.post(f"{base}/control/pause", headers=auth(product.token)).status_code == 200
    other = make_app(product_dir, token=None, env={}).state.product.token
    assert other != product.token
