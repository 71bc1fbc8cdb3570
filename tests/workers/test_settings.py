"""``meshgate serve --workers N`` refuses, before any process starts, what several
processes cannot share, naming the setting."""

from __future__ import annotations

import pytest

from gateway.cli import main

SHARED = {
    "MESHGATE_REGISTRY_URL": "postgresql://postgres@127.0.0.1:1/none",
    "MESHGATE_CACHE_BACKEND": "redis",
    "MESHGATE_EVENTS_BUS": "redis",
}


@pytest.mark.parametrize(
    ("argv", "env", "named"),
    [
        (["--workers", "0"], SHARED, "MESHGATE_WORKERS=0"),
        (["--workers", "-2"], SHARED, "MESHGATE_WORKERS=-2"),
        (["--workers", "65"], SHARED, "MESHGATE_WORKERS=65: expected at most 64"),
        ([], {**SHARED, "MESHGATE_WORKERS": "many"}, "MESHGATE_WORKERS='many'"),
        (
            ["--workers", "2"],
            {**SHARED, "MESHGATE_REGISTRY_URL": "sqlite:///secret/registry.db"},
            "MESHGATE_REGISTRY_URL=sqlite:...",
        ),
        (
            ["--workers", "2"],
            {**SHARED, "MESHGATE_CACHE_BACKEND": "memory"},
            "MESHGATE_CACHE_BACKEND=memory",
        ),
        (["--workers", "2"], {**SHARED, "MESHGATE_EVENTS_BUS": "local"},
         "MESHGATE_EVENTS_BUS=local"),
        # The variable alone is checked the same way as the flag.
        ([], {**SHARED, "MESHGATE_WORKERS": "3", "MESHGATE_CACHE_BACKEND": "memory"},
         "MESHGATE_CACHE_BACKEND=memory: with 3 workers"),
    ],
)  # fmt: skip
def test_settings_processes_cannot_share_are_refused_by_name(
    argv: list[str],
    env: dict[str, str],
    named: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("meshgate serve: ") and named in err, err
    assert "secret" not in err  # the registry's path (or password) is not repeated
