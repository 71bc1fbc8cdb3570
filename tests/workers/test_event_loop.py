"""``MESHGATE_EVENT_LOOP`` picks the event loop ``meshgate serve`` hands to uvicorn; an
unknown one is refused by name before anything starts."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn

from gateway.cli import main


@pytest.mark.parametrize(("value", "loop"), [(None, "asyncio"), ("asyncio", "asyncio"),
                                             ("uvloop", "uvloop")])  # fmt: skip
def test_serve_runs_the_event_loop_asked_for(
    value: str | None, loop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if value is None:
        monkeypatch.delenv("MESHGATE_EVENT_LOOP", raising=False)
    else:
        monkeypatch.setenv("MESHGATE_EVENT_LOOP", value)
    # serve writes MESHGATE_WORKERS for its workers: set here, so it is undone after.
    monkeypatch.setenv("MESHGATE_WORKERS", "1")
    ran: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: ran.update(k))
    assert main(["serve", "--port", "1"]) == 0
    assert (ran["loop"], ran["http"]) == (loop, "gateway.cli.nodelay:NoDelayHttpTools")


def test_an_unknown_event_loop_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MESHGATE_EVENT_LOOP", "trio")
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("uvicorn started"))
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "MESHGATE_EVENT_LOOP='trio': expected one of asyncio, uvloop" in err, err
