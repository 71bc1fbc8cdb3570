"""A hostile product: 10,000 columns are certified in bounded time, with evidence that
stays short however many columns fail."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.certification import products
from tests.certification.mesh import certification_mesh
from tests.certification.test_graph import certify, mesh_report, read
from tests.graph.conftest import Mesh

WIDE = "0b7d1f0e-9a52-4c39-8d44-3f2c51a7e103"


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    tmp = tmp_path_factory.mktemp("wide")
    dirs = [products.wide(tmp / "wide", 10_000)]
    with certification_mesh(tmp, dirs, f"sqlite:///{tmp / 'registry.db'}") as started:
        yield started


def test_a_product_with_ten_thousand_columns_is_certified_in_bounded_time(mesh: Mesh) -> None:
    # Certified once on registration (the fixture waited for it); now on demand.
    assert len(read(mesh, WIDE)["history"]) == 1
    started = time.monotonic()
    answer = certify(mesh, WIDE)
    elapsed = time.monotonic() - started
    assert "errors" not in answer, answer
    assert elapsed < 20, f"certifying 10,000 columns took {elapsed:.1f} s"
    done = answer["data"]["certifyProduct"]
    described = mesh_report(done)["columns-described"]
    assert described["passed"] is False
    assert described["evidence"].startswith("10000 of 10000 columns have no description: ")
    assert described["evidence"].endswith(" and 9995 more")
    assert all(len(r["evidence"]) <= 1000 for r in done["report"])  # evidence stays short
