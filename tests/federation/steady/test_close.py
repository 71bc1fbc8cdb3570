"""Closing the federation closes what it opened: the DuckDB stream workers and engines."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.federation.steady.conftest import ASSETS, Product, file_rows, opened


async def test_closing_the_federation_ends_its_stream_workers(
    products: dict[str, Product], tmp_path: Path
) -> None:
    before = {t.ident for t in threading.enumerate()}
    async with opened(tmp_path) as services:
        await services.registry.register(products["physical-risk"].url)
        stream = await services.federation.stream(
            f"SELECT asset_id FROM {ASSETS}", engine="duckdb", batch_rows=100
        )
        rows = 0
        async for batch in stream.batches():
            rows += batch.num_rows
        await stream.aclose()
        assert rows == file_rows("physical-risk/assets.parquet")
        started = [t for t in threading.enumerate() if t.ident not in before]
        assert any(t.name.startswith("duckdb-stream") for t in started)
    left = [t.name for t in started if t.is_alive() and t.name.startswith("duckdb")]
    assert left == []
