"""A product-gateway double: a small Starlette app answering ``/discover`` like the spec.

One site serves any number of products under ``/p/{name}``; tests change what a product
serves by editing ``site.products[name]`` between calls. Fixed routes answer the faults a
registry must survive: a 500, a non-JSON body, a JSON array, a huge body, a slow answer.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

# Written into every served contract: it must never show up in the registry's tables.
CONTRACT_MARKER = "contract-body-marker-7f3a"


def descriptor(
    *,
    id: str = "da6025e9-695b-4022-85ee-695fc2aa0004",
    name: str = "US precipitation",
    domain: str = "precipitation",
    slug: str | None = "us-precipitation",
    description: str = "Daily precipitation at NOAA stations, in inches.",
    tags: tuple[str, ...] = ("precipitation", "noaa", "source-aligned"),
    outputs: tuple[tuple[str, str], ...] = (("06648f07-b3d9-4eb9-a990-6065fccce778", "1.0.0"),),
    inputs: tuple[tuple[str, str], ...] = (),
    version: str = "1.0.0",
) -> dict[str, Any]:
    """A valid ODPS descriptor (docs/product-gateway-api.md) as JSON."""
    data: dict[str, Any] = {
        "apiVersion": "1.0.0",
        "kind": "DataProduct",
        "id": id,
        "name": name,
        "domain": domain,
        "description": description,
        "owner": {"name": "Ada Lovelace", "email": "ada@climate-quantum.example"},
        "tags": list(tags),
        "status": "active",
        "alignment": "source-aligned",
        "license": "CC-BY-4.0",
        "versions": [
            {
                "version": version,
                "in": [{"contractId": c, "version": v} for c, v in inputs],
                "out": [{"contractId": c, "version": v} for c, v in outputs],
            }
        ],
    }
    if slug is not None:
        data["slug"] = slug
    return data


@dataclass
class FakeProduct:
    """What one product serves; edit the fields to change its answers."""

    descriptor: dict[str, Any]
    # Top-level keys of the metadata answer replaced after it is built (e.g. what
    # `POST /control/configure` changes, or a broken `contracts` list).
    served: dict[str, Any] = field(default_factory=dict)
    # Top-level keys left out of the metadata answer.
    dropped: tuple[str, ...] = ()
    contract_status: int = 200
    # Serve this (id, version) at every contract link instead of the one asked for.
    contract_served_as: tuple[str, str] | None = None


@dataclass
class ProductSite:
    products: dict[str, FakeProduct] = field(default_factory=dict)
    slow_seconds: float = 1.0
    requests: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.products.clear()
        self.requests.clear()


def metadata_answer(base: str, product: FakeProduct) -> dict[str, Any]:
    """The ``/discover/metadata`` answer of ``product`` served at ``base``."""
    d = product.descriptor

    def href(contract_id: str, version: str) -> str:
        return f"{base}/discover/contracts/{contract_id}/{version}"

    written = d["versions"] if "versions" in d else [_one_version(d)]
    versions = [
        {
            "version": v["version"],
            "in": v["in"],
            "out": [{**o, "href": href(o["contractId"], o["version"])} for o in v["out"]],
        }
        for v in written
    ]
    outs = {(o["contractId"], o["version"]) for v in written for o in v["out"]}
    contracts = [
        {
            "id": cid,
            "version": version,
            "name": f"{d['name']} {version}",
            "status": "active",
            "href": href(cid, version),
        }
        for cid, version in sorted(outs)
    ]
    links = {
        name: f"{base}{path}"
        for name, path in (
            ("self", "/discover/metadata"),
            ("openapi", "/discover/openapi.json"),
            ("artifacts", "/discover/artifacts"),
            ("health", "/observe/health"),
            ("metrics", "/observe/metrics"),
            ("results", "/observe/results"),
            ("certification", "/certify/status"),
            ("report", "/certify/report"),
        )
    }
    answer: dict[str, Any] = {
        key: d.get(key)
        for key in (
            "id",
            "name",
            "domain",
            "slug",
            "description",
            "owner",
            "tags",
            "status",
            "alignment",
            "license",
        )
    }
    answer.update(
        state="running", versions=versions, contracts=contracts, links=links, descriptor=d
    )
    answer.update(product.served)
    for key in product.dropped:
        answer.pop(key, None)
    return answer


def _one_version(d: dict[str, Any]) -> dict[str, Any]:
    """The early ``versions`` entry of an ODPS v1.0.0 descriptor (one version, every port)."""

    def refs(key: str) -> list[dict[str, str]]:
        ports = [p for p in d.get(key) or [] if "contractId" in p]
        return [{"contractId": p["contractId"], "version": p["version"]} for p in ports]

    return {
        "version": d.get("version", "1.0.0"),
        "in": refs("inputPorts"),
        "out": refs("outputPorts"),
    }


def contract_document(contract_id: str, version: str) -> dict[str, Any]:
    """A small ODCS v3 contract whose text carries :data:`CONTRACT_MARKER`."""
    return {
        "apiVersion": "v3.0.2",
        "kind": "DataContract",
        "id": contract_id,
        "version": version,
        "status": "active",
        "schema": [
            {
                "name": "daily",
                "properties": [
                    {"name": "station", "logicalType": "string", "description": CONTRACT_MARKER}
                ],
            }
        ],
    }


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def create_app(site: ProductSite) -> Starlette:
    """The Starlette app serving ``site``."""

    def product_of(request: Request) -> FakeProduct | None:
        site.requests.append(request.url.path)
        return site.products.get(request.path_params["name"])

    async def metadata(request: Request) -> Response:
        product = product_of(request)
        if product is None:
            return _error(404, "NOT_FOUND", "no such product")
        base = str(request.base_url).rstrip("/") + f"/p/{request.path_params['name']}"
        return JSONResponse(metadata_answer(base, product))

    async def contract(request: Request) -> Response:
        product = product_of(request)
        if product is None or product.contract_status == 404:
            return _error(404, "NOT_FOUND", "no such contract")
        if product.contract_status != 200:
            return _error(product.contract_status, "INTERNAL", "contract store failed")
        cid, version = product.contract_served_as or (
            request.path_params["cid"],
            request.path_params["version"],
        )
        return JSONResponse(contract_document(cid, version))

    async def fails(request: Request) -> Response:
        return _error(500, "INTERNAL", "the product's store is down")

    async def text(request: Request) -> Response:
        return PlainTextResponse("hello, this is not JSON")

    async def array(request: Request) -> Response:
        return JSONResponse([1, 2, 3])

    async def huge(request: Request) -> Response:
        return JSONResponse({"padding": "x" * 1_500_000})

    async def slow(request: Request) -> Response:
        await asyncio.sleep(site.slow_seconds)
        return JSONResponse({})

    return Starlette(
        routes=[
            Route("/p/{name}/discover/metadata", metadata),
            Route("/p/{name}/discover/contracts/{cid}/{version}", contract),
            Route("/fails/discover/metadata", fails),
            Route("/text/discover/metadata", text),
            Route("/array/discover/metadata", array),
            Route("/huge/discover/metadata", huge),
            Route("/slow/discover/metadata", slow),
        ]
    )


def closed_port_url() -> str:
    """The URL of a port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
