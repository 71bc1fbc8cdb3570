"""discover: metadata, contract links, artifacts, OpenAPI, registration (real uvicorn)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from contracts import parse_descriptor
from productkit.outbound import ALLOWED_NETWORKS_ENV, REGISTRIES_ENV
from tests.fixtures.uvicorn import LOOPBACK_ONLY
from tests.product.builders import CONTRACT, CONTRACT_ID, DESCRIPTOR, PRODUCT_ID, TABLE
from tests.product.conftest import auth


def test_metadata_describes_the_product_with_links_from_the_request(client: httpx.Client) -> None:
    meta = client.get("/discover/metadata").json()
    base = str(client.base_url).rstrip("/")
    assert meta["id"] == PRODUCT_ID
    assert (meta["name"], meta["domain"], meta["slug"]) == (
        "NYC air quality", "air-quality", "nyc-air-quality",
    )  # fmt: skip
    assert meta["owner"] == DESCRIPTOR["owner"]
    assert meta["state"] == "running"
    assert meta["links"]["health"] == f"{base}/observe/health"
    assert meta["links"]["self"] == f"{base}/discover/metadata"
    assert parse_descriptor(meta["descriptor"]).id == PRODUCT_ID
    href = f"{base}/discover/contracts/{CONTRACT_ID}/1.0.0"
    assert meta["contracts"] == [
        {"id": CONTRACT_ID, "version": "1.0.0", "name": CONTRACT["name"], "status": "active",
         "href": href},
    ]  # fmt: skip
    assert meta["versions"][0]["out"][0]["href"] == href


def test_links_follow_the_host_the_client_used(client: httpx.Client) -> None:
    # Same server, reached under another name: every link must use that name.
    port = client.base_url.port
    meta = httpx.get(f"http://localhost:{port}/discover/metadata").json()
    assert meta["links"]["results"] == f"http://localhost:{port}/observe/results"
    assert meta["contracts"][0]["href"].startswith(f"http://localhost:{port}/discover/contracts/")


def test_contract_link_serves_the_contract_as_written(
    client: httpx.Client, product_dir: Path
) -> None:
    href = client.get("/discover/metadata").json()["contracts"][0]["href"]
    doc = httpx.get(href).json()
    assert doc["id"] == CONTRACT_ID
    assert doc["schema"][0]["properties"] == CONTRACT["schema"][0]["properties"]
    # The ${DATA_DIR} placeholder is filled from product.env.
    assert doc["servers"][0]["path"] == f"{product_dir.parent / 'data'}/air_quality.parquet"
    as_yaml = httpx.get(href, params={"format": "yaml"})
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.text) == doc


def test_unknown_contract_is_a_404_error_document(client: httpx.Client) -> None:
    answer = client.get(f"/discover/contracts/{CONTRACT_ID}/9.9.9")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "NOT_FOUND"
    assert "9.9.9" in answer.json()["error"]["message"]


def test_artifacts_list_tables_contracts_and_descriptor(client: httpx.Client) -> None:
    items = client.get("/discover/artifacts").json()["artifacts"]
    by_id = {a["id"]: a for a in items}
    assert set(by_id) == {f"table:{TABLE}", f"contract:{CONTRACT_ID}:1.0.0", "descriptor"}
    table = by_id[f"table:{TABLE}"]
    assert table["type"] == "table"
    assert table["roles"] == ["analyst"]
    assert table["license"] == "CC-BY-4.0"
    assert table["columns"] == ["unique_id", "name", "data_value", "borough", "observed_at"]
    for item in items:
        assert httpx.get(item["links"]["metadata"]).json() == item
    sample = httpx.get(table["links"]["sample"]).json()
    assert len(sample["rows"]) == 5


def test_unknown_artifact_is_a_404(client: httpx.Client) -> None:
    answer = client.get("/discover/artifact/table:nope/metadata")
    assert answer.status_code == 404
    assert answer.json() == {
        "error": {"code": "NOT_FOUND", "message": "no artifact 'table:nope' in this product"}
    }


def test_unknown_route_and_method_use_the_error_shape(client: httpx.Client) -> None:
    missing = client.get("/discover/nothing")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "NOT_FOUND")
    wrong = client.delete("/discover/metadata")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (405, "METHOD_NOT_ALLOWED")


def test_openapi_lists_every_route_of_the_server(
    client: httpx.Client, product_dir: Path, make_app: Callable[..., Starlette]
) -> None:
    spec = client.get("/discover/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    listed = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    app = make_app(product_dir)
    served = {(r.path, m) for r in app.routes for m in getattr(r, "methods", ()) if m != "HEAD"}
    assert listed == served
    assert len(served) >= 22
    control = spec["paths"]["/control/pause"]["post"]
    assert control["security"] == [{"bearer": []}]
    consume = spec["paths"]["/consume/{table}"]["get"]
    assert {p["name"] for p in consume["parameters"]} == {"table", "limit", "offset"}
    assert all(op["summary"] for ops in spec["paths"].values() for op in ops.values())


def registering_product(
    product_dir: Path,
    make_app: Callable[..., Starlette],
    serve_app: Callable[[Any], str],
    registries: str,
) -> httpx.Client:
    """A client on a product whose operator lists ``registries`` (comma-separated)."""
    env = {REGISTRIES_ENV: registries, ALLOWED_NETWORKS_ENV: LOOPBACK_ONLY}
    return httpx.Client(base_url=serve_app(make_app(product_dir, env=env)), timeout=30)


def test_registration_posts_the_metadata_url_and_relays_the_answer(
    product_dir: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> None:
    received: list[Any] = []
    done = threading.Event()

    async def register(request: Request) -> JSONResponse:
        received.append(await request.json())
        done.set()
        return JSONResponse({"id": PRODUCT_ID, "registered": True}, status_code=201)

    registry = serve_app(
        Starlette(routes=[Route("/registry/products", register, methods=["POST"])])
    )
    listed = f"{registry}/registry/products"
    with registering_product(product_dir, make_app, serve_app, listed) as client:
        answer = client.post("/discover/registration", json={"registry": listed}, headers=auth())
        assert answer.status_code == 201
        assert answer.json() == {"id": PRODUCT_ID, "registered": True}
        assert received == [{"url": f"{str(client.base_url).rstrip('/')}/discover/metadata"}]
        # With one registry listed, the body may leave it out.
        assert client.post("/discover/registration", headers=auth()).status_code == 201


def test_registration_refuses_a_non_http_registry_and_reports_a_dead_one(
    product_dir: Path, make_app: Callable[..., Starlette], serve_app: Callable[[Any], str]
) -> None:
    dead_url = f"{closed_port_url()}/r"
    with registering_product(product_dir, make_app, serve_app, dead_url) as client:
        bad = client.post(
            "/discover/registration", json={"registry": "file:///etc/passwd"}, headers=auth()
        )
        assert (bad.status_code, bad.json()["error"]["code"]) == (400, "BAD_REQUEST")
        dead = client.post("/discover/registration", json={"registry": dead_url}, headers=auth())
        assert (dead.status_code, dead.json()["error"]["code"]) == (502, "UPSTREAM_UNAVAILABLE")
        # Neither the registry's address nor the connect error reach the caller.
        assert dead.json()["error"]["message"] == "the registry did not answer"


def closed_port_url() -> str:
    """An URL on 127.0.0.1 where nothing listens (a port just freed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
