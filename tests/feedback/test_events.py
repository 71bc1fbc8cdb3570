"""Each report and rating is told: an ISSUE or RATING event on the gateway's notifier
bus, the one every live subscriber and notification sink hears. The gateway runs under
uvicorn in the test's own event loop, so the test subscribes to that very bus."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from gateway.notify import ISSUE, RATING, MeshEvent
from gateway.settings import Settings
from productkit.http.app import create_product_app
from schema.asgi import create_app
from tests.feedback.test_graph import RATE, REPORT
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.graph.conftest import DEMO


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """``app`` under uvicorn on 127.0.0.1 (port 0) as a task of this event loop."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(20):
            while not server.started:
                if task.done():
                    task.result()  # its error, if it failed to start
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)


async def _told(tmp: Path, kit: str) -> tuple[list[MeshEvent], str, list[dict[str, Any]]]:
    issuer = TestIssuer(tmp / "auth")
    settings = Settings(
        registry_url=f"sqlite:///{tmp / 'registry.db'}",
        upstream_allowed_networks=LOOPBACK_ONLY,
        **issuer.settings(),
    )
    app = create_app(settings)
    async with serving(app) as gateway, httpx.AsyncClient(timeout=30) as http:
        registered = await http.post(
            f"{gateway}/registry/products",
            json={"url": f"{kit}/discover/metadata"},
            headers=issuer.headers(),
        )
        assert registered.status_code == 201, registered.text
        product_id = registered.json()["id"]
        ana = issuer.headers("ana@example.org", ())
        calls = [
            (REPORT, {"p": product_id, "t": "<b>late</b>\nsince Monday", "s": "HIGH"}),
            (RATE, {"p": product_id, "n": 2, "c": "slow"}),
            (RATE, {"p": product_id, "n": 5, "c": None}),
            (REPORT, {"p": product_id, "t": "   ", "s": "LOW"}),  # refused: not told
        ]
        answers = []
        async with app.state.services.notifier.bus.subscribe() as sub:
            for query, variables in calls:
                answer = await http.post(
                    f"{gateway}/graphql", json={"query": query, "variables": variables},
                    headers=ana,
                )  # fmt: skip
                answers.append(answer.json())
            # Published before the mutation answered: all there now, and no more.
            events = [await sub.get() for _ in range(sub.pending())]
        return events, product_id, answers


async def test_reports_and_ratings_reach_the_bus(tmp_path: Path) -> None:
    app = create_product_app(DEMO / "us-precipitation", token="t", env={})
    with running(app) as kit:
        events, product_id, answers = await _told(tmp_path, kit)
    assert [a.get("errors") for a in answers[:3]] == [None, None, None]
    assert answers[3]["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert [(e.kind, e.product_id) for e in events] == [
        (ISSUE, product_id), (RATING, product_id), (RATING, product_id),
    ]  # fmt: skip
    issue, first, second = events
    key = "precipitation.us-precipitation"
    assert issue.product_key == key
    assert dict(issue.data) == {
        "severity": "HIGH", "text": "<b>late</b>\nsince Monday", "by": "ana@example.org",
        "issueId": answers[0]["data"]["reportIssue"]["id"],
    }  # fmt: skip
    assert issue.summary == f"{key}: HIGH issue reported: <b>late</b>"  # one line
    assert dict(first.data) == {"stars": 2, "comment": "slow", "by": "ana@example.org",
                                "before": None}  # fmt: skip
    assert dict(second.data) == {"stars": 5, "comment": None, "by": "ana@example.org",
                                 "before": 2}  # fmt: skip
    assert second.summary == f"{key} rated 5/5 (was 2/5)"
    assert all("\n" not in e.summary for e in events)
    assert MeshEvent.from_json(issue.to_json()) == issue
