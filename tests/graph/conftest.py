"""A real mesh for the graph's tests: demo product gateways under uvicorn, the gateway
app under uvicorn, every product registered through the gateway's own REST route."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.settings import Settings
from productkit.http.app import create_product_app
from schema.asgi import create_app
from tests.fixtures.identity import TestIssuer
from tests.fixtures.uvicorn import LOOPBACK_ONLY, running, stop_soon

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "products"


def demo_product_dirs() -> list[Path]:
    dirs = sorted(p.parent for p in DEMO.glob("*/product.yaml"))
    if not dirs:
        pytest.fail("no demo products under demo/products (the demo mesh is a requirement)")
    if not (ROOT / "demo" / "data" / ".generated").exists():
        pytest.fail("demo data missing: run `make demo-data` (make test does)")
    return dirs


@dataclass
class Mesh:
    gateway: str  # base URL of the gateway
    products: dict[str, str]  # product folder name -> base URL of its gateway
    stacks: dict[str, contextlib.ExitStack] = field(default_factory=dict)
    issuer: TestIssuer | None = None  # the token issuer the gateway trusts

    @property
    def headers(self) -> dict[str, str]:
        """An admin's credentials: the default caller of these tests."""
        assert self.issuer is not None
        return self.issuer.headers()

    def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST ``query`` as an admin, or with ``headers`` ({} for an anonymous caller)."""
        answer = httpx.post(
            f"{self.gateway}/graphql",
            json={"query": query, "variables": variables},
            headers=self.headers if headers is None else headers,
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def stop(self, name: str) -> None:
        """Stop one product's gateway (its port then refuses connections)."""
        self.stacks.pop(name).close()


@contextlib.contextmanager
def start_mesh(
    tmp: Path,
    dirs: list[Path],
    *,
    kits: Mapping[str, Mapping[str, Any]] | None = None,
    **settings: Any,
) -> Iterator[Mesh]:
    """The product kits of ``dirs`` (``kits``: options of some, by folder name, e.g. no
    result cache) and a gateway with ``settings`` that has registered them all."""
    with contextlib.ExitStack() as outer:
        stacks: dict[str, contextlib.ExitStack] = {}
        products: dict[str, str] = {}
        for folder in dirs:
            stack = contextlib.ExitStack()
            outer.callback(stack.close)
            products[folder.name] = stack.enter_context(
                running(
                    create_product_app(
                        folder, token="t", env={}, **(kits or {}).get(folder.name, {})
                    )
                )
            )
            stacks[folder.name] = stack
        settings.setdefault("upstream_allowed_networks", LOOPBACK_ONLY)
        issuer = TestIssuer(tmp / "auth")
        config = Settings(
            registry_url=f"sqlite:///{tmp / 'registry.db'}", **{**issuer.settings(), **settings}
        )
        gateway = outer.enter_context(running(create_app(config)))
        # On exit, every server is asked to stop at once; the stacks then wait for each.
        outer.callback(lambda: stop_soon(gateway, *products.values()))
        for base in products.values():
            answer = httpx.post(
                f"{gateway}/registry/products",
                json={"url": f"{base}/discover/metadata"},
                headers=issuer.headers(),
                timeout=30,
            )
            assert answer.status_code == 201, answer.text
        yield Mesh(gateway, products, stacks, issuer)


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    """The whole demo mesh, shared by a module's tests (which must not stop products)."""
    with start_mesh(tmp_path_factory.mktemp("mesh"), demo_product_dirs()) as started:
        yield started


@pytest.fixture(scope="session")
def files_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    """The whole demo mesh with SQL on its files only (no Trino configured), started once
    for the modules that only read it (which must neither stop products nor change the
    registry, a certification or a subscription)."""
    with start_mesh(tmp_path_factory.mktemp("files-mesh"), demo_product_dirs(),
                    data_root=str(ROOT)) as mesh:  # fmt: skip
        yield mesh


@pytest.fixture(scope="session")
def engines_mesh(
    tmp_path_factory: pytest.TempPathFactory, trino_url: str, demo_stores: Any
) -> Iterator[Mesh]:
    """The whole demo mesh with SQL on both engines (its files, and Trino over the demo
    stores), started once for the SQL modules that only query it (which must neither stop
    products nor change the registry)."""
    tmp = tmp_path_factory.mktemp("engines-mesh")
    with start_mesh(tmp, demo_product_dirs(), data_root=str(ROOT), trino_url=trino_url) as mesh:
        yield mesh
