"""Every way the federation answers SQL applies the contracts' access rules for the caller:
``run``, pages (the first and one after a cursor), the stream and ``explain``, on both engines.

The physical-risk product runs as a real product gateway; the federation reads its
contract live from it, as in production.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import Forbidden
from gateway.federation.records import QueryRecord
from gateway.identity import Principal
from gateway.services import Services, close_services, open_services
from gateway.settings import Settings
from productkit.http.app import create_product_app
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running

ROOT = Path(__file__).resolve().parents[2]
ASSETS = '"physical-risk"."physical-risk".assets'
SQL = f"SELECT asset_id, latitude, country_code FROM {ASSETS} ORDER BY asset_id"
ANALYST = Principal("ana", roles=frozenset({"analyst"}))
OWNER = Principal("hko", roles=frozenset({"owner:physical-risk"}))
STRANGER = Principal("eve", roles=frozenset({"flood_reader"}))


@pytest.fixture(scope="module")
def risk_product() -> Iterator[str]:
    app = create_product_app(ROOT / "demo" / "products" / "physical-risk", token="t", env={})
    with running(app) as url:
        yield url


class Recorder:
    def __init__(self) -> None:
        self.entries: list[QueryRecord] = []

    async def record(self, entry: QueryRecord) -> None:
        self.entries.append(entry)


@pytest.fixture(params=["duckdb", "trino"])
async def services(
    request: pytest.FixtureRequest, risk_product: str, tmp_path: Path
) -> AsyncIterator[Services]:
    trino_url = ""
    if request.param == "trino":
        trino_url = request.getfixturevalue("trino_url")
        request.getfixturevalue("demo_stores")
    settings = Settings(
        registry_url=f"sqlite:///{tmp_path / 'registry.db'}",
        data_root=str(ROOT),
        trino_url=trino_url,
        sql_engine=request.param,
        sql_max_rows=10_000,
        upstream_allowed_networks=LOOPBACK_ONLY,
    )
    opened = await open_services(settings)
    opened.federation.recorder = Recorder()
    await opened.registry.register(risk_product)
    yield opened
    await close_services(opened)


def sha(text: Any) -> str:
    return hashlib.sha256(str(text).encode()).hexdigest()


async def test_run_pages_stream_and_explain_all_mask_for_an_analyst(services: Services) -> None:
    federation = services.federation
    owner = await federation.run(SQL, principal=OWNER)
    clear = owner.result.rows
    assert not owner.result.truncated
    assert clear and str(clear[0][0]).startswith("CQA-")
    expected = sorted((sha(a), "****", c) for a, _, c in clear)

    answer = await federation.run(SQL, principal=ANALYST)
    assert sorted(answer.result.rows) == expected
    assert f"{ASSETS.replace(chr(34), '')}.asset_id" in answer.plan.masked

    first = await federation.page(SQL, principal=ANALYST, max_rows=3)
    second = await federation.page(SQL, principal=ANALYST, max_rows=3, after=first.end_cursor)
    paged = first.answer.result.rows + second.answer.result.rows
    assert paged == sorted(expected)[:6]

    stream = await federation.stream(SQL, principal=ANALYST)
    streamed: list[tuple[Any, ...]] = []
    try:
        async for batch in stream.batches():
            streamed += [tuple(r.values()) for r in batch.to_pylist()]
    finally:
        await stream.aclose()
    assert sorted(streamed) == expected

    # explain plans through the same method (its refusal is tested below); the plan it
    # would explain reads the table through the masks.
    assert await federation.explain(SQL, principal=ANALYST)
    planned = await federation.plan(SQL, None, None, principal=ANALYST)
    assert planned.masked == answer.plan.masked and planned.sql == answer.plan.sql


async def test_every_path_refuses_a_caller_without_a_role(services: Services) -> None:
    federation = services.federation
    calls = [
        federation.run(SQL, principal=STRANGER),
        federation.page(SQL, principal=STRANGER),
        federation.stream(SQL, principal=STRANGER),
        federation.explain(SQL, principal=STRANGER),
        federation.plan(SQL, None, None, principal=STRANGER),
    ]
    for call in calls:
        with pytest.raises(Forbidden) as refused:
            await call
        assert refused.value.extensions["product"] == "physical-risk.physical-risk"
        assert "analyst" in refused.value.extensions["roles"]
    recorder = federation.recorder
    assert isinstance(recorder, Recorder)
    assert {e.outcome for e in recorder.entries} == {"FORBIDDEN"}
    assert all(e.principal is STRANGER for e in recorder.entries)
