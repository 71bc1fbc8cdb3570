"""The sinks on their own and behind the gateway: an HTTP endpoint on a real uvicorn gets
the events; one that is slow or down does not slow a query (drops are counted); one not
on an allowed network, or one that redirects, gets nothing; the file stays bounded."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.federation.records import QueryRecord
from gateway.net.addresses import AddressPolicy
from gateway.openlineage import (
    FileSink,
    HttpSink,
    LineageEmitter,
    LineageSinkError,
    create_emitter,
)
from gateway.services import open_services
from gateway.settings import InvalidSetting, Settings
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running
from tests.openlineage.conftest import LineageServer, lineage_mesh, wait_for
from tests.openlineage.spec_check import validate_event

QUERY = 'SELECT station_id /* {tag} */ FROM precipitation."us-precipitation".us_stations'


def test_an_http_sink_receives_both_events_of_a_query(tmp_path: Path) -> None:
    server = LineageServer()
    with running(server.app()) as base:
        settings = {
            "openlineage_sink": "http",
            "openlineage_url": f"{base}/api/v1/lineage",
            "openlineage_allowed_networks": LOOPBACK_ONLY,
        }
        with lineage_mesh(tmp_path, **settings) as mesh:
            assert "errors" not in mesh.sql(QUERY.format(tag="http-1"))
            wait_for(lambda: len(server.received) >= 2)
    start, end = server.received[:2]
    for event in (start, end):
        validate_event(event)
    assert (start["eventType"], end["eventType"]) == ("START", "COMPLETE")
    assert start["run"]["runId"] == end["run"]["runId"]
    assert "http-1" in end["job"]["facets"]["sql"]["query"]
    assert [i["name"] for i in end["inputs"]] == ["precipitation.us-precipitation.us_stations"]


def test_a_slow_sink_does_not_slow_queries_and_drops_are_counted(tmp_path: Path) -> None:
    server = LineageServer(delay_s=5.0)
    with running(server.app()) as base:
        settings = {
            "openlineage_sink": "http",
            "openlineage_url": f"{base}/api/v1/lineage",
            "openlineage_allowed_networks": LOOPBACK_ONLY,
            "openlineage_queue_size": 1,
            "openlineage_timeout_seconds": 2.0,
        }
        with lineage_mesh(tmp_path, **settings) as mesh:
            assert "errors" not in mesh.sql(QUERY.format(tag="warm-up"))  # catalog, engine
            times = []
            for i in range(5):
                began = time.perf_counter()
                assert "errors" not in mesh.sql(QUERY.format(tag=f"slow-{i}"))
                times.append(time.perf_counter() - began)
            emitter = mesh.emitter
            # One query is being sent (each event waits its 2 s deadline), one waits in
            # the queue of 1: the rest were dropped, not waited for.
            assert emitter.dropped >= 1, (emitter.dropped, times)
    print(f"query times with a 5 s sink: {[round(t, 3) for t in times]}")
    assert max(times) < 2.5, times  # a query waiting for one event would take >= 2 s
    assert emitter.failed >= 1  # the sink's deadline passed: the event was given up


def test_a_down_sink_does_not_fail_the_query(tmp_path: Path) -> None:
    with running(LineageServer().app()) as base:
        pass  # stopped: its port now refuses connections
    settings = {
        "openlineage_sink": "http",
        "openlineage_url": f"{base}/api/v1/lineage",
        "openlineage_allowed_networks": LOOPBACK_ONLY,
    }
    with lineage_mesh(tmp_path, **settings) as mesh:
        assert "errors" not in mesh.sql(QUERY.format(tag="down-1"))
        emitter = mesh.emitter
        wait_for(lambda: emitter.failed >= 2)
        assert emitter.sent == 0


def line(tag: str) -> str:
    return json.dumps({"eventType": "START", "tag": tag})


async def test_a_sink_outside_the_allowed_networks_is_not_called() -> None:
    """An operator URL on loopback, with no network allowed: the guarded transport
    refuses the address before connecting."""
    server = LineageServer()
    with running(server.app()) as base:
        sink = HttpSink(f"{base}/api/v1/lineage", policy=AddressPolicy(), timeout_s=2.0)
        try:
            with pytest.raises(LineageSinkError, match="UpstreamAddressRefused"):
                await sink.send(line("refused"))
        finally:
            await sink.close()
        await asyncio.sleep(0.2)
    assert server.received == []


async def test_a_redirecting_sink_is_not_followed() -> None:
    target = LineageServer()
    with running(target.app()) as elsewhere:
        redirecting = LineageServer(redirect_to=f"{elsewhere}/api/v1/lineage")
        with running(redirecting.app()) as base:
            policy = AddressPolicy.of(LOOPBACK_ONLY)
            sink = HttpSink(f"{base}/api/v1/lineage", policy=policy, timeout_s=2.0)
            try:
                with pytest.raises(LineageSinkError, match="307"):
                    await sink.send(line("redirected"))
            finally:
                await sink.close()
    assert target.received == []


async def test_a_full_queue_drops_and_counts_and_close_flushes(tmp_path: Path) -> None:
    """The emitter on its own: records put while the task is not draining overflow the
    queue (counted), and closing sends what was queued."""
    sink = FileSink(tmp_path / "events.jsonl", max_bytes=1_000_000)
    emitter = LineageEmitter(sink, namespace="meshgate", queue_size=2, flush_s=5.0)
    entry = QueryRecord(None, "SELECT 1", "duckdb", "ok", 1, 1.0, None, datetime.now(UTC))
    for _ in range(5):
        emitter.emit(entry)  # not started: nothing drains
    assert emitter.dropped == 3
    emitter.start()
    await emitter.close()
    assert emitter.sent == 4
    events = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [e["eventType"] for e in events] == ["START", "COMPLETE"] * 2
    emitter.emit(entry)  # after close: dropped, not raised
    assert emitter.dropped == 4


async def test_the_file_sink_rotates_at_its_cap(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    sink = FileSink(path, max_bytes=1_000)
    for i in range(100):
        await sink.send(json.dumps({"i": i, "pad": "x" * 80}))
    rotated = path.with_name("events.jsonl.1")
    assert path.stat().st_size <= 1_000
    assert rotated.stat().st_size <= 1_000
    kept = [json.loads(x)["i"] for x in (rotated.read_text() + path.read_text()).splitlines()]
    assert kept == list(range(100 - len(kept), 100))  # the newest, in order, none torn
    assert set(tmp_path.iterdir()) == {path, rotated}  # one old file kept, no more


def test_the_sink_setting_is_checked_and_off_by_default(tmp_path: Path) -> None:
    assert create_emitter(Settings()) is None
    with pytest.raises(InvalidSetting, match="MESHGATE_OPENLINEAGE_SINK"):
        create_emitter(Settings(openlineage_sink="kafka"))
    with pytest.raises(InvalidSetting, match="MESHGATE_OPENLINEAGE_FILE"):
        create_emitter(Settings(openlineage_sink="file"))
    with pytest.raises(InvalidSetting, match="MESHGATE_OPENLINEAGE_URL"):
        create_emitter(Settings(openlineage_sink="http", openlineage_url="file:///etc/x"))


async def test_a_start_that_fails_after_the_emitter_stops_it(tmp_path: Path) -> None:
    """open_services opens the emitter first: a later step that fails (an issuers file
    that is not there) closes it, its task included."""
    settings = Settings(
        openlineage_sink="file",
        openlineage_file=str(tmp_path / "events.jsonl"),
        auth_issuers_file=str(tmp_path / "no-such-issuers.yaml"),
        registry_url=f"sqlite:///{tmp_path / 'registry.db'}",
    )
    with pytest.raises(Exception, match="issuers"):
        await open_services(settings)
    running_tasks = [t for t in asyncio.all_tasks() if t.get_name() == "openlineage-emitter"]
    assert [t for t in running_tasks if not t.done()] == []


async def test_a_bad_sink_setting_stops_the_start_before_anything_opens(tmp_path: Path) -> None:
    database = tmp_path / "registry.db"
    settings = Settings(openlineage_sink="kafka", registry_url=f"sqlite:///{database}")
    with pytest.raises(InvalidSetting, match="MESHGATE_OPENLINEAGE_SINK"):
        await open_services(settings)
    assert not database.exists()
