"""Processes creating the same local issuer at once (the suite's workers, two gateways
started together) agree on one secret, and none reads a file half written."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

from gateway.identity.local_issuer import LocalIssuer

PROCESSES = 6
ROUNDS = 8


def _create(folder: str, start: multiprocessing.synchronize.Barrier) -> bytes:
    start.wait(30)
    issuer = LocalIssuer.create(folder)
    return issuer.secret


def test_processes_creating_one_issuer_at_once_share_its_secret(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    with context.Pool(PROCESSES) as pool:
        manager = context.Manager()
        for round_ in range(ROUNDS):
            folder = tmp_path / f"auth-{round_}"
            start = manager.Barrier(PROCESSES)
            secrets = pool.starmap(_create, [(str(folder), start)] * PROCESSES)
            written = (folder / "jwt-secret").read_bytes().strip()
            assert set(secrets) == {written} and written, round_
            assert stat.S_IMODE((folder / "jwt-secret").stat().st_mode) == 0o600
            assert LocalIssuer.create(folder).issuers_file.read_text().startswith("issuers:")
            assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
        manager.shutdown()
